/**
 * The web UI's build: one esbuild bundle per page (ui/src/<page>.tsx, Preact) and the stylesheet,
 * each named by its content's hash, as the UiAssets the core serves under /ui/
 * (handlers/pages/assets.ts). Nothing of it is committed:
 *
 * - `npm run build` runs `tsx ui/build.ts`, which writes dist/ui/assets.json (and the files, for
 *   inspection); the compiled Node host reads that file (runtime/node/ui-assets.ts);
 * - the Node host run from source (tsx: `npm run dev`, the tests) calls buildUi() in memory, on the
 *   first page request;
 * - the edge build (runtime/edge/build.ts) calls buildUi() and bundles the result into the worker.
 *
 * buildUi() is also what the size-budget test measures: `scripts` maps each page to its script URLs.
 */
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { build, type Plugin } from "esbuild";
import type { PageName, UiAssets, UiFile } from "../handlers/pages/assets.js";

const root = fileURLToPath(new URL("..", import.meta.url));
export const PAGES: readonly PageName[] = ["front", "studio", "session", "sessions", "basic"];

const ICON = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="7" fill="#4f46e5"/><circle cx="23" cy="9" r="4" fill="#22c55e"/><path d="M7 23l6-7 4 4 5-7 3 3" fill="none" stroke="#fff" stroke-width="3" stroke-linecap="round" stroke-linejoin="round"/></svg>`;

/** lang-liquid's HTML base without lang-html's nested JavaScript and CSS grammars (ui/src/markup-language.ts). */
const markupOnly: Plugin = {
  name: "liquid-markup-only",
  setup(build) {
    build.onResolve({ filter: /^@codemirror\/lang-html$/ }, (args) =>
      /[\\/]@codemirror[\\/]lang-liquid[\\/]/.test(args.importer) ? { path: `${root}ui/src/markup-language.ts` } : undefined,
    );
  },
};

async function hashOf(data: string | Uint8Array): Promise<string> {
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  const digest = await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>);
  return Array.from(new Uint8Array(digest).slice(0, 6), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** The weights of "Noto Sans KR" the UI serves: text (400) and bold (700; app.css's 600 draws with it). */
export const FONT_WEIGHTS = [400, 700] as const;

/**
 * The Korean web font: @fontsource/noto-sans-kr's own @font-face list (its `<weight>.css`), cut by
 * Google Fonts into ~120 unicode-range subsets of Hangul, hanja and CJK punctuation. Each subset's
 * woff2 becomes a hashed /ui/ asset, and one stylesheet declares them with the package's ranges,
 * so a browser fetches only the subsets holding characters on the page, and none for English.
 * The package's latin, latin-ext, cyrillic and vietnamese faces are left out: the font stack draws
 * those with the system's fonts (app.css), and each would only be a download never needed.
 */
async function koreanFont(files: Record<string, UiFile>): Promise<string> {
  const packageDir = dirname(createRequire(import.meta.url).resolve("@fontsource/noto-sans-kr/400.css"));
  const rules: string[] = [];
  for (const weight of FONT_WEIGHTS) {
    const css = await readFile(`${packageDir}/${weight}.css`, "utf8");
    const faces = [...css.matchAll(/@font-face\s*\{([^}]*)\}/g)].map((match) => match[1]!);
    let subsets = 0;
    for (const face of faces) {
      const src = /url\(\.\/files\/(noto-sans-kr-(\d+)-\d+-normal)\.woff2\)/.exec(face);
      if (!src) continue; // a named (non-Korean) subset
      const range = /unicode-range:\s*([^;]+);/.exec(face)?.[1]?.trim();
      if (!range) throw new Error(`@fontsource/noto-sans-kr/${weight}.css: subset ${src[2]} has no unicode-range; update ui/build.ts`);
      const bytes = new Uint8Array(await readFile(`${packageDir}/files/${src[1]}.woff2`));
      const url = `/ui/${src[1]}.${await hashOf(bytes)}.woff2`;
      files[url] = { type: "font/woff2", body: Buffer.from(bytes).toString("base64"), encoding: "base64" };
      rules.push(
        `@font-face{font-family:"Noto Sans KR";font-style:normal;font-display:swap;font-weight:${weight};src:url(${url}) format("woff2");unicode-range:${range}}`,
      );
      subsets++;
    }
    if (subsets < 50) throw new Error(`@fontsource/noto-sans-kr/${weight}.css lists ${subsets} numbered subsets (expected ~120); update ui/build.ts`);
  }
  return rules.join("\n") + "\n";
}

export interface BuildOptions {
  /**
   * Serve the Korean web font (koreanFont()): 2 × ~120 woff2 subsets, 3.7 MB. The Node host does;
   * the edge build leaves it out by default (runtime/edge/build.ts), to stay under Workers Free's
   * 3 MB compressed limit: its pages use the reader's system fonts.
   */
  webFont?: boolean;
}

export async function buildUi(options: BuildOptions = {}): Promise<UiAssets> {
  const result = await build({
    entryPoints: [...PAGES.map((page) => `${root}ui/src/${page}.tsx`), `${root}ui/src/app.css`],
    bundle: true,
    write: false,
    format: "esm",
    platform: "browser",
    target: "es2022",
    minify: true,
    jsx: "automatic",
    jsxImportSource: "preact",
    outdir: "/ui",
    entryNames: "[name].[hash]",
    legalComments: "none",
    logLevel: "warning",
    plugins: [markupOnly],
    define: { "process.env.NODE_ENV": '"production"' },
  });
  const files: Record<string, UiFile> = {};
  const fontCss = (options.webFont ?? true) ? await koreanFont(files) : "";
  const scripts = {} as Record<PageName, string[]>;
  const styles: string[] = [];
  for (const output of result.outputFiles) {
    const url = output.path.slice(output.path.lastIndexOf("/ui/"));
    const name = url.slice(4).split(".")[0]!;
    if (url.endsWith(".css")) {
      if (fontCss) {
        // The font's faces lead app.css, in one file: declared before the first layout that names
        // the family (a second stylesheet could apply after the page's text was laid out).
        const body = fontCss + output.text;
        const named = `/ui/${name}.${await hashOf(body)}.css`;
        files[named] = { type: "text/css; charset=utf-8", body };
        styles.push(named);
      } else {
        files[url] = { type: "text/css; charset=utf-8", body: output.text };
        styles.push(url);
      }
    } else {
      files[url] = { type: "text/javascript; charset=utf-8", body: output.text };
      scripts[name as PageName] = [url];
    }
  }
  const icon = `/ui/icon.${await hashOf(ICON)}.svg`;
  files[icon] = { type: "image/svg+xml", body: ICON };
  return { files, scripts, styles, icon };
}

/** `tsx ui/build.ts [--outdir DIR]`: writes DIR (default dist/ui)/assets.json and each file. */
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const flag = process.argv.indexOf("--outdir");
  const outdir = flag > 0 && process.argv[flag + 1] ? process.argv[flag + 1]! : `${root}dist/ui`;
  const assets = await buildUi();
  // Files of earlier builds (other hashes) go: the directory holds exactly this build.
  await rm(outdir, { recursive: true, force: true });
  await mkdir(outdir, { recursive: true });
  await writeFile(`${outdir}/assets.json`, JSON.stringify(assets));
  for (const [url, file] of Object.entries(assets.files)) {
    await writeFile(`${outdir}/${url.slice(4)}`, file.encoding === "base64" ? Buffer.from(file.body, "base64") : file.body);
  }
}
