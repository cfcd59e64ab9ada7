import { checkSvgFrame, hasNonXmlChar } from "./svg-check.js";

/**
 * Templates that are markup and plain `{{ name }}` outputs only — no tags, filters, dotted paths
 * or whitespace control, as most badges and counters are — rendered without the engine: the
 * markup between outputs as written, each output the argument of that name stringified and
 * escaped exactly as LiquidJS 10 does with `outputEscape: "escape"` and `ownPropertyOnly` (own
 * properties only; `null`, missing → ""; arrays joined; numbers and booleans `String()`), each output's
 * length counted against the render's memory budget as LiquidJS's `escape` counts it.
 * test/unit/substitution.test.ts holds the engine and this to the same bytes.
 *
 * Names LiquidJS resolves specially (`size`, `first`, `last` read a property of the scope itself;
 * `true`, `nil`, `empty`… are literals) are left to the engine, as is anything else.
 */
export class Substitution {
  /** `parts[i]` is the markup before output i; the last, the markup after the last output. */
  private constructor(
    private readonly parts: readonly string[],
    private readonly names: readonly string[],
  ) {}

  private svgDepth = -1;
  private safe = false;

  /** The template as a substitution, or null when the engine must render it. */
  static of(template: string): Substitution | null {
    if (template.includes("{%")) return null;
    const parts: string[] = [];
    const names: string[] = [];
    let from = 0;
    for (let at = template.indexOf("{{"); at !== -1; at = template.indexOf("{{", from)) {
      OUTPUT.lastIndex = at;
      const match = OUTPUT.exec(template);
      if (match === null || SPECIAL.has(match[1]!)) return null;
      parts.push(template.slice(from, at));
      names.push(match[1]!);
      from = OUTPUT.lastIndex;
    }
    parts.push(template.slice(from));
    return new Substitution(parts, names);
  }

  /**
   * The frame; undefined when the outputs take more than `memoryBytes`, or one is an object: the
   * engine then renders it, or says why not.
   */
  render(args: Record<string, unknown>, memoryBytes: number): string | undefined {
    let frame = this.parts[0]!;
    let used = 0;
    for (let i = 0; i < this.names.length; i++) {
      const name = this.names[i]!;
      const text = stringify(Object.hasOwn(args, name) ? args[name] : undefined);
      if (text === undefined) return undefined;
      used += text.length;
      if (used > memoryBytes) return undefined;
      frame += (SPECIAL_CHAR.test(text) ? text.replace(ESCAPED, (c) => ESCAPES[c]!) : text) + this.parts[i + 1]!;
    }
    return frame;
  }

  /**
   * Whether the markup around the outputs makes an SVG document whatever they hold, decided once
   * per depth bound: it does when it does with each output replaced by "x" and by "!x -- y". An
   * escaped output holds no `<`, `&`, `>` or quote, so it can only land in text, an attribute
   * value, a processing instruction's body, CDATA or a comment, or in or next to a name; "--"
   * fails it in a comment, "!" (no name character, no space) right after `<`, `<?`, `&` or within
   * a name, the space between its words in a start tag, and a word outside the root element. In
   * the places left any escaped text is allowed, so only the frame's characters remain to check.
   */
  svgSafe(maxDepth: number): boolean {
    if (this.svgDepth !== maxDepth) {
      this.safe = PROBES.every((probe) => passes(this.parts.join(probe), maxDepth));
      this.svgDepth = maxDepth;
    }
    return this.safe;
  }

  /** Throws as checkSvgFrame does unless `frame`, rendered from this template, is an SVG document. */
  checkSvg(frame: string, maxDepth: number): void {
    if (!this.svgSafe(maxDepth) || hasNonXmlChar(frame)) checkSvgFrame(frame, maxDepth);
  }
}

const OUTPUT = /\{\{[ \t\r\n]*([A-Za-z_][A-Za-z0-9_]*)[ \t\r\n]*\}\}/y;
const SPECIAL = new Set(["size", "first", "last", "true", "false", "nil", "null", "empty", "blank"]);
const PROBES = ["x", "!x -- y"];

/** LiquidJS's `escape` filter: these five, these entities. */
const ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&#34;", "'": "&#39;" };
const SPECIAL_CHAR = /[&<>"']/;
const ESCAPED = /[&<>"']/g;

/**
 * LiquidJS's `stringify` for JSON values; undefined for an object, whose `String()` is the
 * engine's to make (and may fail, as `{"toString": 1}` does, with the engine's message).
 */
function stringify(value: unknown): string | undefined {
  if (typeof value === "string") return value;
  if (value === null || value === undefined) return "";
  if (typeof value !== "object") return String(value);
  if (!Array.isArray(value)) return undefined;
  let text = "";
  for (const item of value) {
    const part = stringify(item);
    if (part === undefined) return undefined;
    text += part;
  }
  return text;
}

function passes(frame: string, maxDepth: number): boolean {
  try {
    checkSvgFrame(frame, maxDepth);
    return true;
  } catch {
    return false;
  }
}
