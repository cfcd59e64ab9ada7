/**
 * `npm run build:edge`: bundles runtime/edge/worker.ts into dist/edge/worker.js (ESM, web builds
 * of every dependency) plus the wasm modules it imports, copied beside it, and
 * dist/edge/meta.json. See README.md beside this file.
 *
 * - `.wasm` imports (satori's layout engine, resvg) are copied as files and stay imports: the
 *   runtime compiles them at upload (Cloudflare/workerd `CompiledWasm` modules), since workerd
 *   forbids compiling wasm from bytes at run time.
 * - `.woff` fonts are inlined as bytes.
 * - the web UI (ui/build.ts) is built first and bundled as strings into runtime/edge/ui.ts, without
 *   the Korean web font (its 240 woff2 subsets add 3.8 MB compressed, past Workers Free's 3 MB):
 *   `--web-font` puts it in (5.8 MB compressed, for Workers Paid's 10 MB).
 * - satori/standalone still carries HarfBuzz (its text shaper) as base64 wasm that it compiles
 *   on first use. The plugin below moves it into its own harfbuzz.wasm module and hands it to
 *   HarfBuzz's Emscripten loader through its `instantiateWasm` hook.
 */
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { build, type Plugin } from "esbuild";
import { buildUi } from "../../ui/build.js";

const root = fileURLToPath(new URL("../..", import.meta.url));
/** `--outdir DIR` builds elsewhere (a test that must not race another build of dist/edge). */
const outdirFlag = process.argv.indexOf("--outdir");
const webFont = process.argv.includes("--web-font");
const outdir = outdirFlag > 0 && process.argv[outdirFlag + 1] ? process.argv[outdirFlag + 1]! : `${root}dist/edge`;

/** The one call of HarfBuzz's Emscripten factory, and its embedded wasm, in satori/standalone. */
const FACTORY_CALL = "cf().then(";
/** Emscripten reads `self.location.href` in any WorkerGlobalScope; workerd has no `location`. */
const LOCATION = "B&&(A=self.location.href)";
const EMBEDDED_WASM = /var l=console\.log\.bind\(console\),h=console\.error\.bind\(console\),u="(AGFzbQ[A-Za-z0-9+/=]+)"/;

function satoriHarfbuzz(): Plugin {
  return {
    name: "satori-harfbuzz-module",
    setup(build) {
      build.onLoad({ filter: /[\\/]node_modules[\\/]satori[\\/]dist[\\/]standalone\.js$/ }, async (args) => {
        let source = await readFile(args.path, "utf8");
        const wasm = EMBEDDED_WASM.exec(source);
        const count = (text: string) => source.split(text).length - 1;
        if (!wasm || count(FACTORY_CALL) !== 1 || count(LOCATION) !== 1) {
          throw new Error(
            `satori/standalone changed (embedded HarfBuzz wasm found: ${Boolean(wasm)}, factory calls: ${count(FACTORY_CALL)}, location reads: ${count(LOCATION)}); update runtime/edge/build.ts`,
          );
        }
        await mkdir(outdir, { recursive: true });
        await writeFile(`${outdir}/harfbuzz.wasm`, Buffer.from(wasm[1]!, "base64"));
        source = source.replace(wasm[0], wasm[0].replace(wasm[1]!, ""));
        source = source.replace(LOCATION, "B&&(A=self.location?.href)");
        source = source.replace(
          FACTORY_CALL,
          "cf({instantiateWasm(imports,done){WebAssembly.instantiate(__harfbuzzWasm,imports).then(instance=>done(instance,__harfbuzzWasm));return{}}}).then(",
        );
        return { contents: `import __harfbuzzWasm from "./harfbuzz.wasm";\n${source}`, loader: "js", resolveDir: dirname(args.path) };
      });
      build.onResolve({ filter: /^\.\/harfbuzz\.wasm$/ }, () => ({ path: "./harfbuzz.wasm", external: true }));
    },
  };
}

/** The web UI's built assets (ui/build.ts) in place of runtime/edge/ui.ts's empty `BUNDLED`. */
function bundledUi(): Plugin {
  return {
    name: "bundled-ui",
    setup(build) {
      build.onLoad({ filter: /[\\/]runtime[\\/]edge[\\/]ui\.ts$/ }, async (args) => {
        const source = await readFile(args.path, "utf8");
        const declaration = "const BUNDLED: UiAssets | undefined = undefined;";
        if (!source.includes(declaration)) throw new Error("runtime/edge/ui.ts changed: update the bundled-ui plugin in runtime/edge/build.ts");
        const assets = JSON.stringify(await buildUi({ webFont }));
        // A function, not a string: the bundles hold `$` patterns that replace() would expand.
        return { contents: source.replace(declaration, () => `const BUNDLED: UiAssets | undefined = ${assets};`), loader: "ts" };
      });
    },
  };
}

await build({
  entryPoints: [`${root}runtime/edge/worker.ts`],
  bundle: true,
  platform: "browser",
  conditions: ["worker", "browser"],
  format: "esm",
  target: "es2022",
  outfile: `${outdir}/worker.js`,
  metafile: true,
  logLevel: "warning",
  loader: { ".wasm": "copy", ".woff": "binary" },
  assetNames: "[name]",
  plugins: [satoriHarfbuzz(), bundledUi()],
}).then(async (result) => {
  await writeFile(`${outdir}/meta.json`, JSON.stringify(result.metafile));
});
