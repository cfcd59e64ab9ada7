/**
 * Where in a text an error is, as an editor shows it: 1-based line and column. Lines end at LF (a
 * CR before it is the last character of its line, so CRLF text numbers its lines the same); a
 * column counts UTF-16 code units, as JavaScript strings and browser editors (CodeMirror) index
 * them, so a client can turn it back into an offset without re-counting characters.
 */
export interface TextPosition {
  line: number;
  column: number;
}

/** The position of `offset` (0-based, clamped to the text) in `text`. */
export function positionAt(text: string, offset: number): TextPosition {
  const end = Math.max(0, Math.min(offset, text.length));
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf("\n"); i >= 0 && i < end; i = text.indexOf("\n", i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { line, column: end - lineStart + 1 };
}

/** What LiquidJS's errors carry (LiquidError in liquidjs/dist/util/error.d.ts): the token being parsed or rendered. */
interface TokenLike {
  input: string;
  begin: number;
}

const isToken = (value: unknown): value is TokenLike =>
  typeof value === "object" &&
  value !== null &&
  typeof (value as TokenLike).input === "string" &&
  typeof (value as TokenLike).begin === "number";

/**
 * The template position of a LiquidJS parse or render error, or undefined when it names none.
 * Tokenizer, parse and render errors carry the token they failed at (`error.token`, its
 * `input` being the whole template and `begin` its offset); a LiquidErrors (several at once)
 * carries its first. Taken from the token rather than parsed out of the message, whose wording
 * is LiquidJS's to change; the result equals the `line:…, col:…` the message ends with.
 * `template`: the text that was parsed; a token of another input (a partial) has no position in it.
 */
export function liquidErrorPosition(error: unknown, template?: string): TextPosition | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  const token = (error as { token?: unknown }).token;
  if (!isToken(token)) return undefined;
  if (template !== undefined && token.input !== template) return undefined;
  return positionAt(token.input, token.begin);
}
