/**
 * RenderAssets for the Node host: fonts, emoji and the wasm of satori and resvg read from installed npm packages,
 * never fetched. Default family: Inter (@fontsource/inter, regular and bold). Text the defaults
 * cannot draw (Korean, Japanese, Chinese) loads only the Noto Sans KR subsets that cover it, each
 * read once and cached (with the subset index), so only a process's first frames read files.
 * Emoji: Twemoji SVGs (@twemoji/svg), the last 1,024 used kept in memory. See README "Fonts" to add faces.
 */
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { basename, dirname, join } from "node:path";
import type { FontFace, FontWeight, RenderAssets } from "../../handlers/index.js";

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

/** Twemoji SVGs kept in memory (most recently used last): ~2 kB each (median; 26 kB at most). */
const EMOJI_CACHE = 1024;

/** A promise cache that forgets failures, so a transient read error is retried by the next frame. */
function remember<T>(cache: Map<string, Promise<T>>, key: string, load: () => Promise<T>): Promise<T> {
  let value = cache.get(key);
  if (!value) {
    value = load();
    cache.set(key, value);
    value.catch(() => cache.get(key) === value && cache.delete(key));
  }
  return value;
}

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
  // Every subset face, read once and kept (the 125 regular subsets of Noto Sans KR are ~3 MB in
  // all). The same FontFace — the same ArrayBuffer — is returned each time: satori keeps parsed
  // fonts keyed by the identity of `data`, so it parses each subset once per process.
  const subsetFaces = new Map<string, Promise<FontFace>>();
  const subsetFace = (file: string) =>
    remember(subsetFaces, file, async (): Promise<FontFace> => ({
      // One family name per subset: satori keeps only one face per name and weight, so subsets
      // sharing a name would hide each other's glyphs.
      name: `Noto Sans KR ${basename(file)}`,
      data: await bytes(file),
      weight: 400,
      style: "normal",
    }));
  // Code point → the subset file that draws it (the first in the CSS, as a browser would pick):
  // ~19,000 code points, built once, so a frame's lookup costs one Map.get per distinct character.
  let index: Promise<Map<number, string>> | undefined;
  const cjk = () =>
    (index ??= readFile(join(cjkDirectory, "400.css"), "utf8")
      .then((css) => {
        const byCode = new Map<number, string>();
        for (const { ranges, file } of fontsourceSubsets(css, cjkDirectory)) {
          for (const [from, to] of ranges) for (let code = from; code <= to; code++) if (!byCode.has(code)) byCode.set(code, file);
        }
        return byCode;
      })
      .catch((error: unknown) => {
        index = undefined;
        throw error;
      }));
  // Twemoji file name → SVG, or null when the set has none; least recently used first.
  const emoji = new Map<string, Promise<string | null>>();

  return {
    // Fresh buffers on each call, on purpose: called once per renderer, and satori keys the font
    // loader it builds from these faces by their buffers' identity, then adds every fallback face
    // a frame loads to that loader. Fresh buffers give each renderer (each app) its own loader.
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
      const byCode = await cjk();
      const needed = new Set<string>();
      for (const char of text) {
        const file = byCode.get(char.codePointAt(0)!);
        if (file) needed.add(file);
      }
      return Promise.all([...needed].map(subsetFace));
    },

    emojiSvg(codePoints) {
      // Twemoji's file names drop U+FE0F unless the sequence has a zero-width joiner.
      const points = codePoints.includes(0x200d) ? codePoints : codePoints.filter((code) => code !== 0xfe0f);
      const name = points.map((code) => code.toString(16)).join("-");
      if (!/^[0-9a-f]+(-[0-9a-f]+)*$/.test(name)) return Promise.resolve(null);
      const svg = remember(emoji, name, () =>
        readFile(join(emojiDirectory, `${name}.svg`), "utf8").catch((error: NodeJS.ErrnoException) => {
          if (error.code === "ENOENT") return null;
          throw error;
        }),
      );
      emoji.delete(name);
      emoji.set(name, svg);
      if (emoji.size > EMOJI_CACHE) emoji.delete(emoji.keys().next().value!);
      // Any other read error leaves this emoji out of the frame (not remembered: retried next time).
      return svg.catch(() => null);
    },

    satoriWasm: () => readFile(require.resolve("satori/layout.wasm")),

    resvgWasm: () => readFile(require.resolve("@resvg/resvg-wasm/index_bg.wasm")),
  };
}
