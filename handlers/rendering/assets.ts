/**
 * What the html kind and PNG frames need from the host: font bytes, emoji images and the wasm of
 * satori's layout engine and of resvg.
 * handlers/ stays portable by never reading a file itself; the Node host passes
 * runtime/node/assets.ts, the edge host runtime/edge/assets.ts (bundled bytes).
 */

export type FontWeight = 100 | 200 | 300 | 400 | 500 | 600 | 700 | 800 | 900;

/** One face satori can use: TTF, OTF or WOFF bytes (not WOFF2). */
export interface FontFace {
  name: string;
  data: ArrayBuffer;
  weight: FontWeight;
  style: "normal" | "italic";
}

export interface RenderAssets {
  /** The faces every html frame may use; the first family is the default. Called once, cached. */
  defaultFonts(): Promise<FontFace[]>;
  /**
   * Faces covering `text`, which the default faces lack glyphs for (satori names its script, e.g.
   * "ko-KR", "ja-JP", "zh-CN" or "unknown"). Only called when a frame needs them; cache inside.
   */
  fallbackFonts(language: string, text: string): Promise<FontFace[]>;
  /** One emoji as SVG markup, by its code points; null when the set has none. */
  emojiSvg(codePoints: number[]): Promise<string | null>;
  /**
   * satori's layout engine (satori/layout.wasm): bytes or a compiled module. satori/standalone is
   * used because the default build compiles embedded wasm at run time, which workerd forbids.
   */
  satoriWasm(): Promise<BufferSource | WebAssembly.Module>;
  /** resvg's wasm: bytes or a compiled module (edge runtimes import .wasm as a module). */
  resvgWasm(): Promise<BufferSource | WebAssembly.Module>;
}
