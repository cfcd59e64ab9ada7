/** The handlers/ portability guard in eslint.config.js really rejects Node-only code.
 *
 *  handlers/ must run on Node and in workerd, but a typecheck cannot enforce that (handlers/ is
 *  compiled with `types: ["node"]`, and liquidjs's declarations pull in Node's types anyway), so
 *  lint is the guard. This test copies the repository, plants one violation per file under
 *  handlers/, and checks that `npm run lint` fails and that each plant is reported by the rule meant
 *  to catch it. A control run on the unplanted copy proves those rules are what fails. */
import { spawnSync, type SpawnSyncReturns } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const repo = resolve(dirname(fileURLToPath(import.meta.url)), "..");

type Rule = "@typescript-eslint/no-restricted-imports" | "no-restricted-globals" | "no-restricted-syntax";
interface Plant {
  /** Path under the repository root; always a new file under handlers/. */
  file: string;
  source: string;
  rule: Rule;
}

// Every plant must typecheck, so that in `npm run lint` (tsc --noEmit && eslint .) it is eslint that fails.
const PLANTS: Plant[] = [
  { file: "handlers/__planted_bare_fs.ts", rule: "@typescript-eslint/no-restricted-imports", source: `import { readFileSync } from "fs";\nexport const planted = readFileSync;\n` },
  { file: "handlers/http/__planted_node_fs.ts", rule: "@typescript-eslint/no-restricted-imports", source: `import { readFileSync } from "node:fs";\nexport const planted = readFileSync;\n` },
  { file: "handlers/rendering/__planted_fs_promises.ts", rule: "@typescript-eslint/no-restricted-imports", source: `import { readFile } from "fs/promises";\nexport const planted = readFile;\n` },
  { file: "handlers/sessions/__planted_ioredis.ts", rule: "@typescript-eslint/no-restricted-imports", source: `import type { Redis } from "ioredis";\nexport type Planted = Redis;\n` },
  { file: "handlers/streaming/__planted_runtime.ts", rule: "@typescript-eslint/no-restricted-imports", source: `import * as memory from "../../runtime/stores/memory.js";\nexport const planted = memory;\n` },
  { file: "handlers/__planted_runtime_top.ts", rule: "@typescript-eslint/no-restricted-imports", source: `import * as config from "../runtime/config.js";\nexport const planted = config;\n` },
  { file: "handlers/ports/__planted_test.ts", rule: "@typescript-eslint/no-restricted-imports", source: `import * as multipart from "../../test/support/multipart.js";\nexport const planted = multipart;\n` },
  { file: "handlers/rendering/__planted_buffer.ts", rule: "no-restricted-globals", source: `export const planted = Buffer.from("x");\n` },
  { file: "handlers/http/__planted_process.ts", rule: "no-restricted-globals", source: `export const planted = process.env.X;\n` },
  { file: "handlers/http/__planted_global_this_process.ts", rule: "no-restricted-globals", source: `export const planted = globalThis.process.env.X;\n` },
  { file: "handlers/sessions/__planted_require.ts", rule: "no-restricted-globals", source: `export const planted: unknown = require("x");\n` },
  { file: "handlers/streaming/__planted_dirname.ts", rule: "no-restricted-globals", source: `export const planted = __dirname;\n` },
  { file: "handlers/__planted_global.ts", rule: "no-restricted-globals", source: `export const planted = global;\n` },
  { file: "handlers/streaming/__planted_set_immediate.ts", rule: "no-restricted-globals", source: `export const planted = setImmediate(() => {});\n` },
  { file: "handlers/rendering/__planted_dynamic.ts", rule: "no-restricted-syntax", source: `export const planted = () => import("node:fs");\n` },
  { file: "handlers/streaming/__planted_dynamic_runtime.ts", rule: "no-restricted-syntax", source: `export const planted = () => import("../../runtime/stores/memory.js");\n` },
  { file: "handlers/__planted_import_meta.ts", rule: "no-restricted-syntax", source: `export const planted = import.meta.dirname;\n` },
];

const SKIP = new Set(["node_modules", ".git", "dist", "coverage"]);

function run(cmd: string, args: string[], cwd: string): SpawnSyncReturns<string> {
  const result = spawnSync(cmd, args, {
    cwd,
    encoding: "utf8",
    timeout: 120_000,
    maxBuffer: 64 * 1024 * 1024,
    env: { ...process.env, NO_COLOR: "1", FORCE_COLOR: "0", npm_config_update_notifier: "false" },
  });
  if (result.error) throw result.error;
  return result;
}

interface EslintResult {
  filePath: string;
  messages: { ruleId: string | null; severity: number; message: string; line: number }[];
}

describe("handlers/ portability lint guard", () => {
  let copy: string;
  let control: SpawnSyncReturns<string>;
  let lint: SpawnSyncReturns<string>;
  let report: EslintResult[];

  beforeAll(() => {
    copy = mkdtempSync(join(tmpdir(), "rsvg-portability-"));
    cpSync(repo, copy, {
      recursive: true,
      filter: (src) => {
        const rel = relative(repo, src);
        return rel === "" || !rel.split(sep).some((part) => SKIP.has(part));
      },
    });
    symlinkSync(join(repo, "node_modules"), join(copy, "node_modules"), "dir");
    const eslint = join(copy, "node_modules", ".bin", "eslint");

    // Control: the unplanted copy passes the handlers/ lint.
    control = run(eslint, ["handlers"], copy);

    for (const plant of PLANTS) {
      const target = join(copy, plant.file);
      expect(existsSync(target), `${plant.file} already exists`).toBe(false);
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(target, plant.source);
    }

    lint = run("npm", ["run", "lint"], copy);
    const json = run(eslint, ["--format", "json", "handlers"], copy);
    report = JSON.parse(json.stdout) as EslintResult[];
  }, 300_000);

  afterAll(() => {
    if (copy) rmSync(copy, { recursive: true, force: true });
  });

  it("the copy without plants passes `eslint handlers` (so the rules below are what fail)", () => {
    expect(control.status, control.stdout + control.stderr).toBe(0);
  });

  it("`npm run lint` fails with the plants present, and tsc accepts every plant", () => {
    expect(lint.status).not.toBe(0);
    const output = lint.stdout + lint.stderr;
    expect(output.split("\n").filter((line) => /__planted_.*error TS\d+/.test(line))).toEqual([]);
  });

  it("`npm run lint` fails in eslint, reporting every plant", (ctx) => {
    const output = lint.stdout + lint.stderr;
    // `tsc --noEmit && eslint .`: when the tree has type errors of its own (not from the plants, see
    // above), eslint never runs here; the per-rule checks below still run eslint directly.
    const typeErrors = output.split("\n").filter((line) => /error TS\d+/.test(line));
    if (typeErrors.length > 0) ctx.skip(`tsc fails on the tree itself, so eslint did not run: ${typeErrors[0]}`);
    for (const plant of PLANTS) expect(output, `${plant.file} not reported`).toContain(basename(plant.file));
  });

  it.each(PLANTS.map((p) => [p.file, p.rule, p] as const))("%s is an error from %s", (_file, rule, plant) => {
    const entry = report.find((r) => r.filePath === join(copy, plant.file));
    expect(entry, `no eslint result for ${plant.file}`).toBeDefined();
    const errors = entry!.messages.filter((m) => m.severity === 2);
    const hit = errors.find((m) => m.ruleId === rule);
    expect(hit, `${plant.file}: expected ${rule}, got ${JSON.stringify(errors)}`).toBeDefined();
    expect(hit!.message).toContain("handlers/ must stay portable");
  });
});
