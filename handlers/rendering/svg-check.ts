import { AppError } from "../http/errors.js";
import { positionAt } from "./template-position.js";

/**
 * Is an svg session's frame an SVG document? A strict check of XML 1.0 well-formedness with an
 * `<svg>` root, run on every svg frame a write renders, so nothing else is stored and served as an
 * image: a frame that is not one shows as a broken image, and its PNG fails.
 *
 * - No DTD: a DOCTYPE is refused (entity expansion is the risk; neither browsers nor resvg need
 *   one), so the only entities are the five predefined ones and character references.
 * - Namespaces are plain names (`svg:svg` is an svg root); prefixes are not resolved.
 * - One pass, each character looked at a bounded number of times, with an explicit stack of open
 *   elements bounded by `maxDepth`: linear in the frame, never recursive.
 * - Portable: Node has no DOMParser, workerd neither.
 */

/** Characters outside XML 1.0's Char production (with the u flag, surrogate ranges match only unpaired ones). */
export const NOT_XML_CHAR = /[^\t\n\r\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;
/** What NOT_XML_CHAR can match, surrogates paired or not: a class without the u flag, scanned in under half the time. */
// eslint-disable-next-line no-control-regex -- the control characters are what it looks for
const MAYBE_NOT_XML_CHAR = /[\0-\x08\x0B\x0C\x0E-\x1F\uD800-\uDFFF\uFFFE\uFFFF]/;
/** Whether `text` holds a character outside XML 1.0's Char production. */
export const hasNonXmlChar = (text: string): boolean => MAYBE_NOT_XML_CHAR.test(text) && NOT_XML_CHAR.test(text);
/** The body of `<?xml …?>`, checked only when short (an XML declaration is), so it cannot backtrack long. */
const XML_DECL =
  /^[ \t\r\n]+version[ \t\r\n]*=[ \t\r\n]*(?:"1\.[0-9]+"|'1\.[0-9]+')(?:[ \t\r\n]+encoding[ \t\r\n]*=[ \t\r\n]*(?:"[A-Za-z][A-Za-z0-9._-]*"|'[A-Za-z][A-Za-z0-9._-]*'))?(?:[ \t\r\n]+standalone[ \t\r\n]*=[ \t\r\n]*(?:"(?:yes|no)"|'(?:yes|no)'))?[ \t\r\n]*$/;
const MAX_XML_DECL = 200;
const PREDEFINED = new Set(["lt", "gt", "amp", "quot", "apos"]);

const LT = 0x3c;
const AMP = 0x26;
const GT = 0x3e;
const SLASH = 0x2f;
const EQ = 0x3d;
const QUOT = 0x22;
const APOS = 0x27;
const RSQB = 0x5d;
const SEMI = 0x3b;

const isSpace = (c: number) => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;

/** XML's NameStartChar, by code point. */
function isNameStart(c: number): boolean {
  return (
    (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || c === 0x3a || c === 0x5f ||
    (c >= 0xc0 && c <= 0xd6) || (c >= 0xd8 && c <= 0xf6) || (c >= 0xf8 && c <= 0x2ff) ||
    (c >= 0x370 && c <= 0x37d) || (c >= 0x37f && c <= 0x1fff) || c === 0x200c || c === 0x200d ||
    (c >= 0x2070 && c <= 0x218f) || (c >= 0x2c00 && c <= 0x2fef) || (c >= 0x3001 && c <= 0xd7ff) ||
    (c >= 0xf900 && c <= 0xfdcf) || (c >= 0xfdf0 && c <= 0xfffd) || (c >= 0x10000 && c <= 0xeffff)
  );
}

/** XML's NameChar, by code point. */
function isNameChar(c: number): boolean {
  return (
    isNameStart(c) || c === 0x2d || c === 0x2e || (c >= 0x30 && c <= 0x39) || c === 0xb7 ||
    (c >= 0x300 && c <= 0x36f) || c === 0x203f || c === 0x2040
  );
}

/** Throws 400 frame_not_svg (or frame_too_deep) unless `frame` is a well-formed XML document whose root is `<svg>`. */
export function checkSvgFrame(frame: string, maxDepth: number): void {
  new SvgCheck(frame, maxDepth).document();
}

class SvgCheck {
  private pos = 0;
  /** Names of the open elements, innermost last. */
  private readonly open: string[] = [];

  constructor(
    private readonly s: string,
    private readonly maxDepth: number,
  ) {}

  document(): void {
    const bad = NOT_XML_CHAR.exec(this.s);
    if (bad) {
      this.pos = bad.index;
      this.fail(`U+${bad[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")} is not a character XML allows`);
    }
    if (this.s.charCodeAt(0) === 0xfeff) this.pos = 1;
    if (this.s.startsWith("<?xml", this.pos) && this.isDeclEnd(this.pos + 5)) this.xmlDecl();
    this.misc();
    if (this.pos >= this.s.length) this.fail("there is no root element");
    if (this.s.startsWith("<!DOCTYPE", this.pos)) this.fail("a DOCTYPE is not allowed");
    if (this.s.charCodeAt(this.pos) !== LT || !this.startsName(this.pos + 1)) this.fail("text before the root element");
    this.element();
    this.misc();
    if (this.pos < this.s.length) this.fail("content after the root element");
  }

  /** Whitespace, comments and processing instructions, outside the root element. */
  private misc(): void {
    for (;;) {
      while (isSpace(this.s.charCodeAt(this.pos))) this.pos++;
      if (this.s.startsWith("<!--", this.pos)) this.comment();
      else if (this.s.startsWith("<?", this.pos)) this.processingInstruction();
      else return;
    }
  }

  /** The root element and everything in it, iteratively: `open` is the stack. */
  private element(): void {
    const start = this.pos;
    const root = this.startTag();
    if (root !== "svg" && !root.endsWith(":svg")) {
      this.pos = start;
      this.fail(`the root element is <${root}>, not <svg>`);
    }
    while (this.open.length > 0) {
      const c = this.s.charCodeAt(this.pos);
      if (Number.isNaN(c)) this.fail(`<${this.open.at(-1)!}> is not closed`);
      if (c === LT) this.markup();
      else if (c === AMP) this.reference();
      else if (c === RSQB && this.s.startsWith("]]>", this.pos)) this.fail("']]>' in text");
      else this.pos++;
    }
  }

  /** At `<` inside an element: a child, an end tag, a comment, CDATA or a processing instruction. */
  private markup(): void {
    const s = this.s;
    const next = s.charCodeAt(this.pos + 1);
    if (next === SLASH) return this.endTag();
    if (s.startsWith("<!--", this.pos)) return this.comment();
    if (s.startsWith("<![CDATA[", this.pos)) {
      const end = s.indexOf("]]>", this.pos + 9);
      if (end < 0) this.fail("a CDATA section is not closed");
      this.pos = end + 3;
      return;
    }
    if (s.startsWith("<?", this.pos)) return this.processingInstruction();
    if (next === 0x21) this.fail(s.startsWith("<!DOCTYPE", this.pos) ? "a DOCTYPE is not allowed" : "a markup declaration is not allowed");
    this.startTag();
  }

  /** `<name attr="v" …>` or `<name … />`; returns the name. Pushes it when the element stays open. */
  private startTag(): string {
    this.pos++;
    const name = this.name("an element name");
    const seen = new Set<string>();
    for (;;) {
      const spaced = this.skipSpace();
      const c = this.s.charCodeAt(this.pos);
      if (c === GT) {
        this.pos++;
        this.push(name);
        return name;
      }
      if (c === SLASH && this.s.charCodeAt(this.pos + 1) === GT) {
        this.pos += 2;
        return name;
      }
      if (Number.isNaN(c)) this.fail(`the tag <${name}> is not closed`);
      if (!spaced) this.fail(`expected whitespace, '>' or '/>' in <${name}>`);
      const attribute = this.name("an attribute name");
      if (seen.has(attribute)) this.fail(`attribute ${attribute} appears twice in <${name}>`);
      seen.add(attribute);
      this.skipSpace();
      if (this.s.charCodeAt(this.pos) !== EQ) this.fail(`attribute ${attribute} has no value`);
      this.pos++;
      this.skipSpace();
      this.attributeValue(attribute);
    }
  }

  private push(name: string): void {
    if (this.open.length >= this.maxDepth) {
      throw new AppError("frame_too_deep", `the rendered frame nests elements deeper than ${this.maxDepth} (MAX_SVG_DEPTH)`);
    }
    this.open.push(name);
  }

  /** `</name>` matching the innermost open element. */
  private endTag(): void {
    const start = this.pos;
    this.pos += 2;
    const name = this.name("an element name");
    this.skipSpace();
    if (this.s.charCodeAt(this.pos) !== GT) this.fail(`the end tag </${name}> is not closed`);
    const expected = this.open.at(-1)!;
    if (name !== expected) {
      this.pos = start;
      this.fail(`</${name}> closes <${expected}>`);
    }
    this.pos++;
    this.open.pop();
  }

  private attributeValue(attribute: string): void {
    const quote = this.s.charCodeAt(this.pos);
    if (quote !== QUOT && quote !== APOS) this.fail(`the value of ${attribute} is not quoted`);
    this.pos++;
    for (;;) {
      const c = this.s.charCodeAt(this.pos);
      if (c === quote) break;
      if (Number.isNaN(c)) this.fail(`the value of ${attribute} is not closed`);
      if (c === LT) this.fail(`'<' in the value of ${attribute}`);
      if (c === AMP) this.reference();
      else this.pos++;
    }
    this.pos++;
  }

  /** `&name;` (the five predefined entities), `&#n;` or `&#xh;` naming a character XML allows. */
  private reference(): void {
    const start = this.pos;
    const s = this.s;
    if (s.charCodeAt(start + 1) === 0x23) {
      const hex = s.charCodeAt(start + 2) === 0x78;
      let end = start + (hex ? 3 : 2);
      const digits = hex ? /[0-9A-Fa-f]/ : /[0-9]/;
      while (end < s.length && end - start < 12 && digits.test(s[end]!)) end++;
      const text = s.slice(start + (hex ? 3 : 2), end);
      const code = text === "" ? NaN : parseInt(text, hex ? 16 : 10);
      if (s.charCodeAt(end) !== SEMI || !isXmlChar(code)) this.fail("a character reference that is malformed or names a character XML forbids");
      this.pos = end + 1;
      return;
    }
    this.pos++;
    const name = this.name("an entity name after '&'");
    if (s.charCodeAt(this.pos) !== SEMI) this.fail(`'&${name}' is not closed by ';'`);
    if (!PREDEFINED.has(name)) this.fail(`&${name}; is not one of the five predefined entities (there is no DTD)`);
    this.pos++;
  }

  /** `<!-- … -->`; `--` may not appear inside, nor `-` end it. */
  private comment(): void {
    const dashes = this.s.indexOf("--", this.pos + 4);
    if (dashes < 0) this.fail("a comment is not closed");
    if (this.s.charCodeAt(dashes + 2) !== GT) {
      this.pos = dashes;
      this.fail("'--' inside a comment");
    }
    this.pos = dashes + 3;
  }

  /** `<?target …?>`; the target may not be xml (that is the declaration, first or nowhere). */
  private processingInstruction(): void {
    this.pos += 2;
    const target = this.name("a processing instruction target");
    if (target.toLowerCase() === "xml") this.fail("an XML declaration that is not at the start");
    if (!this.s.startsWith("?>", this.pos) && !isSpace(this.s.charCodeAt(this.pos))) this.fail(`expected whitespace or '?>' after <?${target}`);
    const end = this.s.indexOf("?>", this.pos);
    if (end < 0) this.fail("a processing instruction is not closed");
    this.pos = end + 2;
  }

  private xmlDecl(): void {
    const end = this.s.indexOf("?>", this.pos);
    if (end < 0) this.fail("the XML declaration is not closed");
    const body = this.s.slice(this.pos + 5, end);
    if (body.length > MAX_XML_DECL || !XML_DECL.test(body)) this.fail("a malformed XML declaration");
    this.pos = end + 2;
  }

  private isDeclEnd(at: number): boolean {
    return isSpace(this.s.charCodeAt(at)) || this.s.startsWith("?>", at);
  }

  private startsName(at: number): boolean {
    const c = this.s.codePointAt(at);
    return c !== undefined && isNameStart(c);
  }

  /** XML's Name production at `pos`. */
  private name(what: string): string {
    const start = this.pos;
    if (!this.startsName(start)) this.fail(`expected ${what}`);
    let end = start;
    for (let c = this.s.codePointAt(end); c !== undefined && isNameChar(c); c = this.s.codePointAt(end)) end += c > 0xffff ? 2 : 1;
    this.pos = end;
    return this.s.slice(start, end);
  }

  /** Skips whitespace; true when there was some. */
  private skipSpace(): boolean {
    const start = this.pos;
    while (isSpace(this.s.charCodeAt(this.pos))) this.pos++;
    return this.pos > start;
  }

  /**
   * The position is in the rendered frame, not the template (arguments and Liquid tags change
   * the lengths in between), so it is reported as frame_line/frame_column, never line/column.
   */
  private fail(reason: string): never {
    const { line, column } = positionAt(this.s, this.pos);
    throw new AppError(
      "frame_not_svg",
      `an svg session's frame must be well-formed XML with an <svg> root: ${reason} (line ${line}, column ${column})`,
      {},
      { frame_line: line, frame_column: column },
    );
  }
}

function isXmlChar(code: number): boolean {
  return (
    code === 0x9 ||
    code === 0xa ||
    code === 0xd ||
    (code >= 0x20 && code <= 0xd7ff) ||
    (code >= 0xe000 && code <= 0xfffd) ||
    (code >= 0x10000 && code <= 0x10ffff)
  );
}
