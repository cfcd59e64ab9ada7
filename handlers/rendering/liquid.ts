import { Liquid, type Template } from "liquidjs";
import { exceedsUtf8 } from "../bytes.js";
import { AppError } from "../http/errors.js";
import { NO_METRICS, type Metrics } from "../metrics.js";
import type { Limits } from "../options.js";
import { checkArgsShape } from "../sessions/args.js";
import { SizedLru } from "../sized-lru.js";
import { Substitution } from "./substitution.js";
import { checkSvgFrame } from "./svg-check.js";
import { liquidErrorPosition } from "./template-position.js";

type RenderLimits = Pick<
  Limits,
  | "maxTemplateBytes"
  | "maxArgsBytes"
  | "maxArgsDepth"
  | "maxArgsKeys"
  | "maxFrameBytes"
  | "renderTimeoutMs"
  | "renderMemoryBytes"
  | "templateCacheBytes"
>;

/**
 * The heap a parsed template may take, for TEMPLATE_CACHE_BYTES: two bytes per character plus
 * 1,200 per tag and output. Measured with LiquidJS 10 (heap after GC, 20 copies each): the densest
 * template, `{{a}}` repeated, takes about 1,040 bytes per output; tags with filters, loops, `if`
 * and `case` 270–550 per tag; the badge template 6.9 KB against 7.8 KB estimated; markup without
 * tags 0.7 bytes per character.
 */
export function parsedTemplateBytes(template: string): number {
  let marks = 0;
  for (let at = template.indexOf("{"); at !== -1; at = template.indexOf("{", at + 1)) {
    const next = template.charCodeAt(at + 1);
    if (next === 0x7b || next === 0x25) marks++;
  }
  return 2 * template.length + 1_200 * marks;
}

/**
 * Turns templates into frames. Templates are untrusted: arguments are XML-escaped by default,
 * only own properties are visible, partials cannot be loaded (no file or network access), and
 * parse size, render time and render memory are bounded.
 */
export class Renderer {
  private readonly engine: Liquid;
  /**
   * Webhook mappings (hooks/mapping.ts): the same engine and limits without output escaping, since
   * what a mapping makes is an argument, which the session's template escapes when it renders.
   */
  private readonly mapping: Liquid;
  /**
   * Parsed templates by source, within TEMPLATE_CACHE_BYTES (parsedTemplateBytes each): every
   * write renders the session's template, and sessions share templates, so each is parsed once
   * while it is in use instead of once per write. Parsed templates hold no render state.
   */
  private readonly parsed: SizedLru<string, Template[]>;
  /** Parsed templates that are plain substitutions (substitution.ts), rendered without the engine. */
  private readonly substitutions = new WeakMap<Template[], Substitution>();

  constructor(
    private readonly limits: RenderLimits,
    private readonly metrics: Metrics = NO_METRICS,
  ) {
    const options = {
      ownPropertyOnly: true,
      // An empty in-memory file system: {% include %}, {% render %} and {% layout %} find nothing.
      templates: {},
      relativeReference: false,
      strictFilters: true,
      cache: false,
      parseLimit: limits.maxTemplateBytes,
      renderLimit: limits.renderTimeoutMs,
      memoryLimit: limits.renderMemoryBytes,
    };
    this.engine = new Liquid({ ...options, outputEscape: "escape" });
    this.mapping = new Liquid(options);
    this.parsed = new SizedLru(limits.templateCacheBytes);
  }

  /** A webhook mapping's value: bounded and parsed like a template, rendered without escaping. */
  parseMapping(source: string): Template[] {
    if (exceedsUtf8(source, this.limits.maxTemplateBytes)) {
      throw new AppError("template_too_large", `the mapping exceeds ${this.limits.maxTemplateBytes} bytes`);
    }
    try {
      return this.mapping.parse(source);
    } catch (error) {
      throw new AppError("template_syntax", `the mapping does not parse: ${(error as Error).message}`);
    }
  }

  /** Throws the engine's own error (the caller names the argument). */
  async renderMapping(parsed: Template[], scope: Record<string, unknown>): Promise<string> {
    return String(await this.mapping.render(parsed, scope));
  }

  /** Validates size and syntax; the parsed form is what `render` takes. */
  parse(template: string): Template[] {
    const known = this.parsed.get(template);
    if (known !== undefined) return known;
    if (template.trim() === "") throw new AppError("invalid_template", "template is empty");
    if (exceedsUtf8(template, this.limits.maxTemplateBytes)) {
      throw new AppError(
        "template_too_large",
        `template exceeds ${this.limits.maxTemplateBytes} bytes`,
      );
    }
    let parsed: Template[];
    try {
      parsed = this.engine.parse(template);
    } catch (error) {
      throw new AppError("template_syntax", `template does not parse: ${(error as Error).message}`, {}, liquidErrorPosition(error, template));
    }
    // Only a kept template is worth its one-time SVG verdict (two checks of its markup).
    if (this.parsed.set(template, parsed, parsedTemplateBytes(template))) {
      const substitution = Substitution.of(template);
      if (substitution !== null) this.substitutions.set(parsed, substitution);
    }
    return parsed;
  }

  /** Depth, keys and characters first (sessions/args.ts): JSON.stringify recurses, so it must not see unbounded depth. */
  checkArgs(args: Record<string, unknown>): void {
    checkArgsShape(args, this.limits);
    if (exceedsUtf8(JSON.stringify(args), this.limits.maxArgsBytes)) {
      throw new AppError("args_too_large", `args exceed ${this.limits.maxArgsBytes} bytes of JSON`);
    }
  }

  async render(parsed: Template[], args: Record<string, unknown>): Promise<string> {
    return this.renderNow(parsed, args);
  }

  /** As render, synchronously: what a write's render step calls (rendering/pipeline.ts). */
  renderNow(parsed: Template[], args: Record<string, unknown>): string {
    let frame: string;
    const started = performance.now();
    try {
      // Synchronous: no filter or tag here waits on anything, and the async renderer's promise per
      // node cost a third of the render; RENDER_TIMEOUT_MS and RENDER_MEMORY_BYTES bound both.
      frame = this.substitutions.get(parsed)?.render(args, this.limits.renderMemoryBytes) ?? String(this.engine.renderSync(parsed, args));
      this.metrics.renderObserved((performance.now() - started) / 1000);
    } catch (error) {
      const message = (error as Error).message;
      // The tag or output being rendered when it failed: the loop that ran past a limit, the include.
      const position = liquidErrorPosition(error);
      if (/limit exceeded/i.test(message)) {
        throw new AppError("render_limit_exceeded", `template exceeds the render limits: ${message}`, {}, position);
      }
      throw new AppError("render_failed", `template failed to render: ${message}`, {}, position);
    }
    if (exceedsUtf8(frame, this.limits.maxFrameBytes)) {
      throw new AppError("frame_too_large", `rendered frame exceeds ${this.limits.maxFrameBytes} bytes`);
    }
    return frame;
  }

  /** Throws as checkSvgFrame does unless `frame`, rendered from `parsed`, is an SVG document. */
  checkSvg(parsed: Template[], frame: string, maxDepth: number): void {
    const substitution = this.substitutions.get(parsed);
    if (substitution === undefined) checkSvgFrame(frame, maxDepth);
    else substitution.checkSvg(frame, maxDepth);
  }
}
