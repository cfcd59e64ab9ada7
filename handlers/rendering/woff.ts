/**
 * WOFF 1.0 → SFNT (TrueType/OpenType), with web APIs only. satori reads WOFF, resvg only SFNT, and
 * the bundled fonts ship as WOFF; unwrapping them is cheaper than shipping every font twice.
 * Format: https://www.w3.org/TR/WOFF/ (header 44 bytes, 20-byte table entries, zlib-compressed tables).
 */
const WOFF = 0x774f4646; // "wOFF"

async function inflate(bytes: Uint8Array<ArrayBuffer>): Promise<Uint8Array> {
  const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("deflate"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

export function isWoff(data: ArrayBuffer): boolean {
  return data.byteLength >= 44 && new DataView(data).getUint32(0) === WOFF;
}

export async function woffToSfnt(data: ArrayBuffer): Promise<Uint8Array> {
  if (!isWoff(data)) return new Uint8Array(data);
  const woff = new DataView(data);
  const flavor = woff.getUint32(4);
  const count = woff.getUint16(12);
  const tables: Array<{ tag: number; checksum: number; bytes: Uint8Array }> = [];
  for (let i = 0; i < count; i++) {
    const entry = 44 + i * 20;
    const [tag, offset, compLength, origLength, checksum] = [0, 4, 8, 12, 16].map((at) => woff.getUint32(entry + at)) as [
      number, number, number, number, number,
    ];
    const stored = new Uint8Array(data, offset, compLength);
    const bytes = compLength < origLength ? await inflate(stored) : stored;
    if (bytes.byteLength !== origLength) throw new Error("corrupt WOFF table");
    tables.push({ tag, checksum, bytes });
  }
  const pad = (n: number) => (n + 3) & ~3;
  const headerSize = 12 + 16 * count;
  const size = tables.reduce((total, table) => total + pad(table.bytes.byteLength), headerSize);
  const out = new Uint8Array(size);
  const sfnt = new DataView(out.buffer);
  const power = 2 ** Math.floor(Math.log2(count));
  sfnt.setUint32(0, flavor);
  sfnt.setUint16(4, count);
  sfnt.setUint16(6, power * 16);
  sfnt.setUint16(8, Math.log2(power));
  sfnt.setUint16(10, count * 16 - power * 16);
  let offset = headerSize;
  tables.forEach((table, i) => {
    const record = 12 + i * 16;
    sfnt.setUint32(record, table.tag);
    sfnt.setUint32(record + 4, table.checksum);
    sfnt.setUint32(record + 8, offset);
    sfnt.setUint32(record + 12, table.bytes.byteLength);
    out.set(table.bytes, offset);
    offset += pad(table.bytes.byteLength);
  });
  return out;
}
