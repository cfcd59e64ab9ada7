import { builtinModules } from "node:module";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("../..", import.meta.url));
const nodeBuiltins = new Set([...builtinModules, ...builtinModules.map((name) => `node:${name}`)]);

describe("handlers/ is portable", () => {
  it("bundles for the browser platform without any Node built-in or Node-only package", async () => {
    const imported = new Set<string>();
    const result = await build({
      entryPoints: [`${root}/handlers/app.ts`],
      bundle: true,
      platform: "browser",
      format: "esm",
      write: false,
      metafile: true,
      logLevel: "silent",
      plugins: [
        {
          name: "record-imports",
          setup(pluginBuild) {
            pluginBuild.onResolve({ filter: /.*/ }, (args) => {
              imported.add(args.path);
              if (nodeBuiltins.has(args.path) || args.path.startsWith("node:")) {
                return { path: args.path, external: true };
              }
              return undefined;
            });
          },
        },
      ],
    });
    const builtins = [...imported].filter((path) => nodeBuiltins.has(path) || path.startsWith("node:"));
    expect(builtins).toEqual([]);
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs.some((input) => input.includes("handlers/app.ts"))).toBe(true);
    for (const nodeOnly of ["ioredis", "pino", "@hono/node-server", "runtime/"]) {
      expect(inputs.filter((input) => input.includes(nodeOnly))).toEqual([]);
    }
    // liquidjs must come in through its browser build, which needs no fs/path/stream.
    expect(inputs.some((input) => /liquidjs\/dist\/liquid\.browser/.test(input))).toBe(true);
  });

  it("the test really notices a Node built-in", async () => {
    const bundle = build({
      stdin: { contents: "import { readFileSync } from 'node:fs'; export const x = readFileSync;", resolveDir: root },
      bundle: true,
      platform: "browser",
      write: false,
      logLevel: "silent",
    });
    await expect(bundle).rejects.toThrow(/node:fs/);
  });
});
