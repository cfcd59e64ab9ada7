import { readFile } from "node:fs/promises";
import type { UiAssets, UiHost } from "../../handlers/index.js";

/**
 * The web UI for the Node host. Compiled (`npm run build`, dist/runtime/node/ui-assets.js) it
 * reads what ui/build.ts wrote beside it, dist/ui/assets.json. Run from source (tsx: `npm run dev`,
 * the tests) there is no build output to trust, so it bundles ui/src in memory with esbuild (a
 * devDependency, present wherever the source runs), on the first page request: a server that is
 * never asked for a page never builds it, and startup stays as fast as before.
 */
export function nodeUiHost(): UiHost {
  return {
    async load(): Promise<UiAssets> {
      if (import.meta.url.endsWith(".ts")) {
        // A computed specifier, so the compiled build does not follow it into ui/ (which it does not ship).
        const builder = "../../ui/build.js";
        const { buildUi } = (await import(builder)) as { buildUi: () => Promise<UiAssets> };
        return buildUi();
      }
      return JSON.parse(await readFile(new URL("../../ui/assets.json", import.meta.url), "utf8")) as UiAssets;
    },
  };
}
