import { AppError, type ErrorCode } from "../http/errors.js";

/**
 * Rendered html-kind markup → the element tree satori lays out. The parser is strict on purpose:
 * the tree it returns is the only thing satori sees, so every rule here is a security rule.
 * - only listed elements (no <script>, <style>, <iframe>, <foreignObject>, …) and no on* attributes;
 * - every URL (src, href, url(...) in styles and attributes) is a data: URI or a #fragment, because
 *   satori fetches any other URL while rendering (the server must never fetch what a template names);
 * - every tag is closed, and element count, nesting depth and characters of text are bounded
 *   before satori runs.
 * Anything else is a 400 at create/update time: frames are rendered once, when written.
 */

export interface MarkupNode {
  type: string;
  props: { children?: (MarkupNode | string)[]; style?: Record<string, string>; [attribute: string]: unknown };
}

export interface MarkupLimits {
  maxHtmlNodes: number;
  maxHtmlDepth: number;
  /**
   * Characters (code points) of text, all text nodes together, after entities are decoded. Absent
   * only in the parser's own tests of its other limits: HtmlLimits, what the renderer takes, requires it.
   */
  maxHtmlText?: number;
}

const HTML_ELEMENTS = ["div", "span", "p", "h1", "h2", "h3", "h4", "h5", "h6", "b", "strong", "i", "em", "u", "s", "small", "br", "hr", "img"];
const SVG_ELEMENTS = [
  "svg", "g", "path", "rect", "circle", "ellipse", "line", "polyline", "polygon", "defs",
  "linearGradient", "radialGradient", "stop", "clipPath", "mask", "pattern",
];
/** Lower-case name → the name satori expects (SVG names are case-sensitive). */
const ALLOWED = new Map([...HTML_ELEMENTS, ...SVG_ELEMENTS].map((name) => [name.toLowerCase(), name]));
const VOID = new Set(["br", "hr", "img"]);

const ENTITIES: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'", nbsp: "\u00a0" };

function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (whole, name: string) => {
    if (name[0] === "#") {
      const code = name[1] === "x" || name[1] === "X" ? parseInt(name.slice(2), 16) : parseInt(name.slice(1), 10);
      return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
    }
    return ENTITIES[name.toLowerCase()] ?? whole;
  });
}

const invalid = (code: ErrorCode, message: string) => new AppError(code, message);

/** A URL a template may name: inline data, or a reference inside the same document. */
function allowedUrl(value: string): boolean {
  const url = value.trim().replace(/^["']/, "").toLowerCase();
  return url.startsWith("data:") || url.startsWith("#");
}

/**
 * CSS functions other than url() that take an image or a URL (as a string or a url()), matched as
 * the end of the name before "(", so vendor-prefixed forms (-webkit-image-set, -moz-element, ...)
 * are covered too. filter() takes an image; attr() can produce a URL; src() is url() with a string.
 */
const LOADING_FUNCTIONS = ["image-set", "image", "cross-fade", "element", "src", "expression", "attr", "filter"];

const isCssSpace = (c: string) => c === " " || c === "\t" || c === "\n" || c === "\r" || c === "\f";
/** Characters a CSS identifier may hold: ASCII letters, digits, - and _, and anything non-ASCII. */
const isNameChar = (c: string) => /[A-Za-z0-9_-]/.test(c) || c.charCodeAt(0) >= 0x80;
/** ASCII case-insensitive as CSS is, and also as JS case mapping is (ſ → S, ı → I), so neither reading slips past. */
const nameForms = (name: string) => [name.toLowerCase(), name.toUpperCase().toLowerCase()];

/**
 * Rejects anything in a CSS value (a style declaration, or any other attribute value: fill, mask,
 * tw, ...) through which satori could be made to load a resource. One left-to-right pass, no
 * backtracking, and it ignores quoting, so no disagreement with a later parser about what is
 * inside a string can hide a function:
 * - no backslash (CSS escapes, e.g. u\rl( or \75 rl(), no comment opener (slash-star), no @import;
 * - every "(" is looked at: if the name before it (optional whitespace between) ends in url, in
 *   any case, its argument must be a terminated data: URI or #fragment: quoted ("…" or '…', then
 *   optional whitespace and ")"), or unquoted without quotes, "(" or inner whitespace up to ")";
 *   an unterminated or malformed argument is a violation, since a later parser may read it differently;
 * - a name ending in one of LOADING_FUNCTIONS is rejected outright.
 * Every scan of an argument either throws or ends at its ")", and arguments of one quoting kind
 * cannot overlap, so the whole check is linear in the length of the value.
 */
function checkCss(where: string, value: string): void {
  const reject = (why: string) => invalid("external_reference", `${where} ${why}`);
  if (value.includes("\\")) throw reject("contains a backslash; CSS escapes are not allowed");
  if (value.includes("/*")) throw reject("contains a CSS comment; comments are not allowed");
  if (/@import/i.test(value)) throw reject("uses @import, which can load resources");
  // The name a "(" would call: the identifier before it, with only whitespace between them.
  let state: "none" | "name" | "space" = "none";
  let nameStart = 0;
  let nameEnd = 0;
  for (let i = 0; i < value.length; i++) {
    const c = value[i]!;
    if (isNameChar(c)) {
      if (state !== "name") nameStart = i;
      nameEnd = i + 1;
      state = "name";
    } else if (isCssSpace(c)) {
      if (state === "name") state = "space";
    } else {
      if (c === "(" && state !== "none") {
        const forms = nameForms(value.slice(nameStart, nameEnd));
        if (forms.some((form) => form.endsWith("url"))) checkUrlArgument(value, i + 1, reject);
        else {
          const loader = LOADING_FUNCTIONS.find((fn) => forms.some((form) => form.endsWith(fn)));
          if (loader) throw reject(`uses ${loader}(), which can load resources`);
        }
      }
      state = "none";
    }
  }
}

/** The argument of a url( whose "(" ends just before `at`: a terminated data: URI or #fragment, or a violation. */
function checkUrlArgument(value: string, at: number, reject: (why: string) => AppError): void {
  let i = at;
  while (i < value.length && isCssSpace(value[i]!)) i++;
  let argument: string;
  const quote = value[i];
  if (quote === '"' || quote === "'") {
    const close = value.indexOf(quote, i + 1);
    if (close < 0) throw reject("has a url( whose quoted argument is never closed");
    argument = value.slice(i + 1, close);
    i = close + 1;
    while (i < value.length && isCssSpace(value[i]!)) i++;
  } else {
    const start = i;
    while (i < value.length && value[i] !== ")" && !isCssSpace(value[i]!)) {
      if (value[i] === "(" || value[i] === '"' || value[i] === "'") {
        throw reject(`has a malformed url( argument (unquoted, with ${value[i]})`);
      }
      i++;
    }
    argument = value.slice(start, i);
    while (i < value.length && isCssSpace(value[i]!)) i++;
  }
  if (value[i] !== ")") throw reject("has a url( that is not closed by )");
  const url = argument.trim().toLowerCase();
  if (!url.startsWith("data:") && !url.startsWith("#")) {
    throw reject("names an external URL; only data: URIs and #fragments are allowed");
  }
}

const camel = (name: string) => name.replace(/-([a-z])/g, (_, letter: string) => letter.toUpperCase());

/** "a-b: c; d: url(data:x;base64,y)" → ["a-b: c", " d: url(data:x;base64,y)"]; ';' inside () or quotes does not split. */
function splitDeclarations(style: string): string[] {
  const declarations: string[] = [];
  let depth = 0;
  let quote = "";
  let start = 0;
  for (let i = 0; i < style.length; i++) {
    const c = style[i];
    if (quote) {
      if (c === quote) quote = "";
    } else if (c === '"' || c === "'") quote = c;
    else if (c === "(") depth++;
    else if (c === ")") depth = Math.max(0, depth - 1);
    else if (c === ";" && depth === 0) {
      declarations.push(style.slice(start, i));
      start = i + 1;
    }
  }
  declarations.push(style.slice(start));
  return declarations;
}

/**
 * "a-b: c; d: url(data:x;base64,y)" → { aB: "c", d: "url(data:x;base64,y)" }. Every declaration
 * (even one that is then dropped) is checked on its own, after splitting: a url( argument cannot
 * run on into the next declaration, which is how satori will see the values.
 */
function parseStyle(where: string, style: string): Record<string, string> {
  const result: Record<string, string> = {};
  for (const declaration of splitDeclarations(style)) {
    checkCss(where, declaration);
    const colon = declaration.indexOf(":");
    if (colon < 0) continue;
    const property = declaration.slice(0, colon).trim().toLowerCase();
    const value = declaration.slice(colon + 1).trim();
    if (property === "src") throw invalid("external_reference", `${where} has a src declaration, which loads resources`);
    if (property && value) result[camel(property)] = value;
  }
  return result;
}

function attributeProps(tag: string, raw: string, props: MarkupNode["props"]): void {
  const pattern = /([^\s"'<>/=]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?/g;
  for (const match of raw.matchAll(pattern)) {
    const name = match[1]!;
    const value = decodeEntities(match[2] ?? match[3] ?? match[4] ?? "");
    const lower = name.toLowerCase();
    if (lower.startsWith("on")) {
      throw invalid("event_handler", `<${tag} ${name}>: event-handler attributes are not allowed`);
    }
    if (lower === "src" || lower.endsWith("href")) {
      if (!allowedUrl(value)) {
        throw invalid("external_reference", `<${tag} ${name}> names an external URL; only data: URIs are allowed`);
      }
    } else if (lower !== "style") checkCss(`<${tag} ${name}>`, value);
    if (lower === "style") props.style = parseStyle(`<${tag} ${name}>`, value);
    else if (lower === "class" || lower.startsWith("data-") || lower.startsWith("aria-")) continue;
    else props[lower === "xlink:href" ? "href" : camel(name)] = value;
  }
}

interface Open {
  node: MarkupNode;
  children: (MarkupNode | string)[];
}

/** Parses markup into satori's element tree, or throws a 400 naming what is wrong. */
export function parseMarkup(markup: string, limits: MarkupLimits): MarkupNode {
  const root: Open = { node: { type: "div", props: {} }, children: [] };
  const stack: Open[] = [root];
  let nodes = 0;
  let characters = 0;
  let at = 0;
  const text = (chunk: string) => {
    if (chunk.trim() === "") return;
    const decoded = decodeEntities(chunk);
    // Code points, counted without building an array: a surrogate pair is one character.
    for (let i = 0; i < decoded.length; i++) {
      const unit = decoded.charCodeAt(i);
      if (unit < 0xdc00 || unit > 0xdfff) characters++;
    }
    if (limits.maxHtmlText !== undefined && characters > limits.maxHtmlText) {
      throw invalid("markup_text_too_long", `markup has more than ${limits.maxHtmlText} characters of text`);
    }
    stack.at(-1)!.children.push(decoded);
  };
  while (at < markup.length) {
    const lt = markup.indexOf("<", at);
    if (lt < 0) {
      text(markup.slice(at));
      break;
    }
    text(markup.slice(at, lt));
    if (markup.startsWith("<!--", lt)) {
      const end = markup.indexOf("-->", lt + 4);
      if (end < 0) throw invalid("markup_syntax", "unterminated comment");
      at = end + 3;
      continue;
    }
    const close = markup[lt + 1] === "/";
    const match = /^<\/?([A-Za-z][A-Za-z0-9-]*)((?:[^>"']|"[^"]*"|'[^']*')*?)(\/?)>/.exec(markup.slice(lt, lt + 64 * 1024));
    if (!match) throw invalid("markup_syntax", `unterminated or malformed tag at character ${lt}`);
    at = lt + match[0].length;
    const name = match[1]!.toLowerCase();
    const type = ALLOWED.get(name);
    if (!type) throw invalid("element_not_allowed", `<${name}> is not allowed in html templates`);
    if (close) {
      const open = stack.at(-1)!;
      if (stack.length === 1 || open.node.type !== type) {
        throw invalid("markup_syntax", `</${name}> does not close the open element`);
      }
      stack.pop();
      continue;
    }
    if (++nodes > limits.maxHtmlNodes) {
      throw invalid("markup_too_large", `markup has more than ${limits.maxHtmlNodes} elements`);
    }
    const node: MarkupNode = { type, props: {} };
    attributeProps(name, match[2] ?? "", node.props);
    const open: Open = { node, children: [] };
    stack.at(-1)!.children.push(node);
    if (match[3] === "/" || VOID.has(name)) continue;
    if (stack.length > limits.maxHtmlDepth) {
      throw invalid("markup_too_deep", `markup nests deeper than ${limits.maxHtmlDepth} elements`);
    }
    node.props.children = open.children;
    stack.push(open);
  }
  if (stack.length > 1) throw invalid("markup_syntax", `<${stack.at(-1)!.node.type}> is never closed`);
  for (const open of stack) open.node.props.children = open.children;
  const only = root.children.length === 1 ? root.children[0] : undefined;
  if (only && typeof only !== "string") return only;
  // Several top-level nodes (or bare text): lay them out in one full-size column.
  return {
    type: "div",
    props: { style: { display: "flex", flexDirection: "column", width: "100%", height: "100%" }, children: root.children },
  };
}
