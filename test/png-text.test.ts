import { PNG } from "pngjs";
import { describe, expect, it } from "vitest";
import { DEFAULT_LIMITS } from "../handlers/options.js";
import { PngRenderer } from "../handlers/rendering/png.js";
import { isWoff, woffToSfnt } from "../handlers/rendering/woff.js";
import { nodeRenderAssets } from "../runtime/node/assets.js";

const BADGE =
  '<svg xmlns="http://www.w3.org/2000/svg" width="200" height="40"><rect width="200" height="40" fill="#16a34a"/>' +
  '<text x="10" y="27" fill="#fff" font-family="sans-serif" font-size="18">build: passed</text></svg>';

/** Near-white pixels: the text, on a green badge. */
function textPixels(png: Uint8Array): number {
  const image = PNG.sync.read(Buffer.from(png));
  let count = 0;
  for (let i = 0; i < image.data.length; i += 4) {
    if (image.data[i]! > 200 && image.data[i + 1]! > 200 && image.data[i + 2]! > 200) count++;
  }
  return count;
}

describe("PNG of an svg-kind frame", () => {
  it("draws <text> with the bundled fonts (and nothing without them)", async () => {
    const assets = nodeRenderAssets();
    const withFonts = await new PngRenderer(assets, DEFAULT_LIMITS).draw(BADGE, 1);
    const without = await new PngRenderer({ ...assets, defaultFonts: async () => [] }, DEFAULT_LIMITS).draw(BADGE, 1);
    expect(textPixels(without)).toBe(0);
    expect(textPixels(withFonts)).toBeGreaterThan(150);
  });
});

describe("WOFF to SFNT", () => {
  it("unwraps every table of the bundled WOFF fonts into a valid SFNT header", async () => {
    for (const face of await nodeRenderAssets().defaultFonts()) {
      expect(isWoff(face.data)).toBe(true);
      const woffTables = new DataView(face.data).getUint16(12);
      const sfnt = await woffToSfnt(face.data);
      const view = new DataView(sfnt.buffer, sfnt.byteOffset);
      expect([0x00010000, 0x4f54544f]).toContain(view.getUint32(0)); // TrueType or "OTTO"
      expect(view.getUint16(4)).toBe(woffTables);
      expect(sfnt.byteLength).toBe(new DataView(face.data).getUint32(16)); // WOFF's totalSfntSize
    }
  });

  it("passes an SFNT through unchanged", async () => {
    const sfnt = new Uint8Array([0, 1, 0, 0, 0, 0]).buffer;
    expect(Array.from(await woffToSfnt(sfnt))).toEqual([0, 1, 0, 0, 0, 0]);
  });
});
