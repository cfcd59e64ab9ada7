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
