/**
 * RenderAssets for the Node host: fonts, emoji and the wasm of satori and resvg read from installed npm packages,
 * never fetched. Default family: Inter (@fontsource/inter, regular and bold). Text the defaults
 * cannot draw (Korean, Japanese, Chinese) loads only the Noto Sans KR subsets that cover it, each
 * read once and cached. Emoji: Twemoji SVGs (@twemoji/svg). See README "Fonts" to add faces.
 */
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { basename, dirname, join } from "node:path";
import type { FontFace, FontWeight, RenderAssets } from "../../handlers/rendering/assets.js";

const require = createRequire(import.meta.url);

/** An extra face an operator adds: a TTF, OTF or WOFF file on disk. */
export interface FontFile {
  name: string;
  path: string;
  weight?: FontWeight;
  style?: "normal" | "italic";
}

interface Subset {
  ranges: [number, number][];
  file: string;
}

const bytes = async (path: string): Promise<ArrayBuffer> => {
  const buffer = await readFile(path);
  return buffer.buffer.slice(buffer.byteOffset, buffer.byteOffset + buffer.byteLength) as ArrayBuffer;
};

/** The @font-face blocks of a Fontsource CSS file: which WOFF file covers which code points. */
export function fontsourceSubsets(css: string, directory: string): Subset[] {
  const subsets: Subset[] = [];
  for (const block of css.split("@font-face").slice(1)) {
    const file = /url\(\.\/files\/([^)]+\.woff)\)/.exec(block)?.[1];
    const range = /unicode-range:\s*([^;]+);/.exec(block)?.[1];
    if (!file || !range) continue;
    const ranges = range.split(",").map((part): [number, number] => {
      const [from, to] = part.trim().replace(/^U\+/i, "").split("-");
      const start = parseInt(from!, 16);
      return [start, to === undefined ? start : parseInt(to, 16)];
    });
    subsets.push({ ranges, file: join(directory, "files", file) });
  }
  return subsets;
}

export function nodeRenderAssets(options: { extraFonts?: FontFile[] } = {}): RenderAssets {
  const fontFile = (file: string) => require.resolve(`@fontsource/inter/files/${file}`);
  const cjkDirectory = dirname(require.resolve("@fontsource/noto-sans-kr/400.css"));
  const emojiDirectory = dirname(require.resolve("@twemoji/svg/package.json"));
  const loaded = new Map<string, Promise<ArrayBuffer>>();
  const load = (path: string) => {
    let data = loaded.get(path);
    if (!data) {
      data = bytes(path);
      loaded.set(path, data);
    }
    return data;
  };
  let cjk: Promise<Subset[]> | undefined;

  return {
    async defaultFonts() {
      const face = async (file: string, weight: FontWeight): Promise<FontFace> => ({
        name: "Inter",
        data: await bytes(fontFile(file)),
        weight,
        style: "normal",
      });
      const extra = (options.extraFonts ?? []).map(async (font): Promise<FontFace> => ({
        name: font.name,
        data: await bytes(font.path),
        weight: font.weight ?? 400,
        style: font.style ?? "normal",
      }));
      return Promise.all([
        face("inter-latin-400-normal.woff", 400),
        face("inter-latin-700-normal.woff", 700),
        face("inter-latin-ext-400-normal.woff", 400),
        face("inter-latin-ext-700-normal.woff", 700),
        ...extra,
      ]);
    },

    async fallbackFonts(_language, text) {
      cjk ??= readFile(join(cjkDirectory, "400.css"), "utf8").then((css) => fontsourceSubsets(css, cjkDirectory));
      const subsets = await cjk;
      const needed = new Set<string>();
      for (const char of text) {
        const code = char.codePointAt(0)!;
        const subset = subsets.find((s) => s.ranges.some(([from, to]) => code >= from && code <= to));
        if (subset) needed.add(subset.file);
      }
      return Promise.all(
        // One family name per subset: satori keeps only one face per name and weight, so subsets
        // sharing a name would hide each other's glyphs.
        [...needed].map(async (file): Promise<FontFace> => ({ name: `Noto Sans KR ${basename(file)}`, data: await load(file), weight: 400, style: "normal" })),
      );
    },

    async emojiSvg(codePoints) {
      // Twemoji's file names drop U+FE0F unless the sequence has a zero-width joiner.
      const points = codePoints.includes(0x200d) ? codePoints : codePoints.filter((code) => code !== 0xfe0f);
      const name = points.map((code) => code.toString(16)).join("-");
      if (!/^[0-9a-f-]+$/.test(name)) return null;
      return readFile(join(emojiDirectory, `${name}.svg`), "utf8").catch(() => null);
    },

    satoriWasm: () => readFile(require.resolve("satori/layout.wasm")),

    resvgWasm: () => readFile(require.resolve("@resvg/resvg-wasm/index_bg.wasm")),
  };
}
