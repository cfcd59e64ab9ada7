/**
 * JSON text put together from parts encoded once. A write encodes its template three times over
 * if nothing is shared (in the stored record, in the answer, once per write though it rarely
 * changes) and its frame twice (in the record and in the announcement): escaping a badge's 600
 * characters of markup was most of the 3.5 µs `JSON.stringify` took for its record. The result is
 * the same JSON value as `JSON.stringify` gives, with the named fields last.
 */

/** Strings shorter than this are encoded on every call: a cache look-up costs about as much. */
const MEMO_MIN_CHARS = 256;
/** The memo of encodings holds at most this many characters, texts and encodings counted (at most 2 bytes each); it is emptied when full. */
export const MEMO_MAX_CHARS = 1 << 20;
/** A text longer than this is never kept, so one large template cannot empty the memo for the rest. */
const MEMO_MAX_ENTRY_CHARS = MEMO_MAX_CHARS / 16;

const memo = new Map<string, string>();
let memoChars = 0;

/**
 * `JSON.stringify(text)`, kept for long texts asked again (a session's template, written and
 * answered with every write). The key is the text itself: a session's records share one string,
 * whose hash V8 keeps with it, so a hit costs one look-up.
 */
export function stringJson(text: string): string {
  if (text.length < MEMO_MIN_CHARS || text.length > MEMO_MAX_ENTRY_CHARS) return JSON.stringify(text);
  let json = memo.get(text);
  if (json === undefined) {
    json = JSON.stringify(text);
    const chars = text.length + json.length;
    if (memoChars + chars > MEMO_MAX_CHARS) {
      memo.clear();
      memoChars = 0;
    }
    memo.set(text, json);
    memoChars += chars;
  }
  return json;
}

/** What the memo holds now (tests). */
export const memoUsage = (): { entries: number; chars: number } => ({ entries: memo.size, chars: memoChars });

/**
 * `JSON.stringify(object)` followed by `fields`: name-value pairs already encoded as JSON, such as
 * `"frame":"…"`; `first`, pairs put before the object's. No name may be one of `object`'s own
 * (enumerable, defined) keys.
 */
export function jsonWith(object: object, fields: string, first?: string): string {
  const text = JSON.stringify(object);
  if (first === undefined) return text === "{}" ? `{${fields}}` : `${text.slice(0, -1)},${fields}}`;
  return text === "{}" ? `{${first},${fields}}` : `{${first},${text.slice(1, -1)},${fields}}`;
}
