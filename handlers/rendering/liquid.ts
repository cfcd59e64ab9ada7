import { Liquid, type Template } from "liquidjs";
import { AppError } from "../http/errors.js";
import { NO_METRICS, type Metrics } from "../metrics.js";
import type { Limits } from "../options.js";
import { checkArgsShape } from "../sessions/args.js";
import { liquidErrorPosition } from "./template-position.js";

type RenderLimits = Pick<
  Limits,
  "maxTemplateBytes" | "maxArgsBytes" | "maxArgsDepth" | "maxArgsKeys" | "maxFrameBytes" | "renderTimeoutMs" | "renderMemoryBytes"
>;

export const utf8Length = (text: string) => new TextEncoder().encode(text).byteLength;

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
  }

  /** A webhook mapping's value: bounded and parsed like a template, rendered without escaping. */
  parseMapping(source: string): Template[] {
    if (utf8Length(source) > this.limits.maxTemplateBytes) {
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
    if (template.trim() === "") throw new AppError("invalid_template", "template is empty");
    if (utf8Length(template) > this.limits.maxTemplateBytes) {
      throw new AppError(
        "template_too_large",
        `template exceeds ${this.limits.maxTemplateBytes} bytes`,
      );
    }
    try {
      return this.engine.parse(template);
    } catch (error) {
      throw new AppError("template_syntax", `template does not parse: ${(error as Error).message}`, {}, liquidErrorPosition(error, template));
    }
  }

  /** Depth, keys and characters first (sessions/args.ts): JSON.stringify recurses, so it must not see unbounded depth. */
  checkArgs(args: Record<string, unknown>): void {
    checkArgsShape(args, this.limits);
    if (utf8Length(JSON.stringify(args)) > this.limits.maxArgsBytes) {
      throw new AppError("args_too_large", `args exceed ${this.limits.maxArgsBytes} bytes of JSON`);
    }
  }

  async render(parsed: Template[], args: Record<string, unknown>): Promise<string> {
    let frame: string;
    const started = performance.now();
    try {
      frame = String(await this.engine.render(parsed, args));
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
    if (utf8Length(frame) > this.limits.maxFrameBytes) {
      throw new AppError("frame_too_large", `rendered frame exceeds ${this.limits.maxFrameBytes} bytes`);
    }
    return frame;
  }
}
