/**
 * RenderAssets for the edge bundle: everything is imported as a module, nothing is read or
 * fetched at run time. The wasm files (satori's layout engine, resvg) are separate modules that
 * the runtime compiles when the worker is uploaded — workerd forbids compiling wasm from bytes at
 * run time; fonts are inlined into the bundle as bytes by runtime/edge/build.ts.
 *
 * What ships (README.md beside this file): Inter, regular and bold, Latin and Latin Extended.
 * No CJK fallback (Noto Sans KR is ~50 MB of subsets, far above a worker's size limit) and no
 * emoji (the Twemoji set is ~3,700 files): such characters are left out of the frame. An operator
 * who needs them passes `extraFonts` / `emoji` built from their own imports (README.md).
 */
import layoutWasm from "satori/layout.wasm";
import resvgWasm from "@resvg/resvg-wasm/index_bg.wasm";
import interLatin400 from "@fontsource/inter/files/inter-latin-400-normal.woff";
import interLatin700 from "@fontsource/inter/files/inter-latin-700-normal.woff";
import interLatinExt400 from "@fontsource/inter/files/inter-latin-ext-400-normal.woff";
import interLatinExt700 from "@fontsource/inter/files/inter-latin-ext-700-normal.woff";
import type { FontFace, RenderAssets } from "../../handlers/index.js";

export interface EdgeAssetOptions {
  /** More faces every frame may use (e.g. a CJK subset imported as a `.woff` module). */
  extraFonts?: FontFace[];
  /** Emoji as SVG markup, keyed by lowercase hex code points joined with "-" (Twemoji's names). */
  emoji?: Record<string, string>;
}

const arrayBuffer = (bytes: Uint8Array): ArrayBuffer =>
  bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;

const inter = (bytes: Uint8Array, weight: 400 | 700): FontFace => ({ name: "Inter", data: arrayBuffer(bytes), weight, style: "normal" });

/**
 * Make one per isolate (worker.ts does, at module scope): the app is built per request on the
 * edge, and satori caches parsed fonts by the identity of the faces array returned here.
 */
export function edgeRenderAssets(options: EdgeAssetOptions = {}): RenderAssets {
  let fonts: FontFace[] | undefined;
  return {
    defaultFonts: async () =>
      (fonts ??= [
        inter(interLatin400, 400),
        inter(interLatin700, 700),
        inter(interLatinExt400, 400),
        inter(interLatinExt700, 700),
        ...(options.extraFonts ?? []),
      ]),
    fallbackFonts: async () => [],
    async emojiSvg(codePoints) {
      const points = codePoints.includes(0x200d) ? codePoints : codePoints.filter((code) => code !== 0xfe0f);
      return options.emoji?.[points.map((code) => code.toString(16)).join("-")] ?? null;
    },
    satoriWasm: async () => layoutWasm,
    resvgWasm: async () => resvgWasm,
  };
}
