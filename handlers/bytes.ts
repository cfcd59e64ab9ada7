/** Byte helpers shared by the streaming and webhook code (web APIs only). */

/** The chunks as one array: the chunk itself when there is only one, else a copy of them all. */
export function concat(chunks: readonly Uint8Array<ArrayBuffer>[]): Uint8Array<ArrayBuffer>;
export function concat(chunks: readonly Uint8Array[]): Uint8Array;
export function concat(chunks: readonly Uint8Array[]): Uint8Array {
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(chunks.reduce((sum, chunk) => sum + chunk.byteLength, 0));
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}

/**
 * A string's length in UTF-8 as TextEncoder encodes it (a lone surrogate becomes U+FFFD, three
 * bytes), counted without encoding: the limit checks on every write ran TextEncoder over the
 * whole frame and the arguments' JSON, a buffer each, only to read its length.
 */
export function utf8Length(text: string): number {
  let bytes = text.length;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit < 0x80) continue;
    if (unit < 0x800) {
      bytes += 1;
      continue;
    }
    if (unit >= 0xd800 && unit <= 0xdbff) {
      const low = text.charCodeAt(i + 1);
      if (low >= 0xdc00 && low <= 0xdfff) {
        // A pair: two units, four bytes.
        bytes += 2;
        i++;
        continue;
      }
    }
    bytes += 2;
  }
  return bytes;
}

/**
 * Whether `text` takes more than `limit` bytes in UTF-8. A UTF-16 unit takes one to three bytes,
 * so the length alone settles most strings; only one in between is counted.
 */
export function exceedsUtf8(text: string, limit: number): boolean {
  if (text.length > limit) return true;
  if (text.length * 3 <= limit) return false;
  return utf8Length(text) > limit;
}
