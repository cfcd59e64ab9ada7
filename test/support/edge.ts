/**
 * The edge host in tests: the real bundle (runtime/edge/build.ts) run by workerd through
 * miniflare, as Cloudflare runs it. Each test file builds into a directory of its own, since files
 * run at the same time and would otherwise race over dist/edge.
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { Miniflare } from "miniflare";

const root = fileURLToPath(new URL("../..", import.meta.url));

/** `npm run build:edge` into `outdir` (default dist/edge); rejects with the build's output. */
export function buildEdge(outdir?: string): Promise<void> {
  const args = ["--import", "tsx", "runtime/edge/build.ts", ...(outdir ? ["--outdir", outdir] : [])];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (chunk) => (output += String(chunk)));
    child.stderr.on("data", (chunk) => (output += String(chunk)));
    child.once("error", reject);
    child.once("exit", (code) => (code === 0 ? resolve() : reject(new Error(`edge build failed (${code}):\n${output}`))));
  });
}

/** The directory `buildEdge()` writes without an outdir. */
export const defaultEdgeDir = `${root}dist/edge`;

/** A workerd running the bundle in `dir` with these bindings; `origin` is its URL. */
export async function startEdgeWorker(dir: string, bindings: Record<string, string>): Promise<{ worker: Miniflare; origin: string }> {
  const worker = new Miniflare({
    modules: true,
    scriptPath: `${dir}/worker.js`,
    modulesRoot: dir,
    // The wasm files beside the bundle are compiled at load, as Cloudflare does on upload.
    modulesRules: [{ type: "CompiledWasm", include: ["**/*.wasm"] }],
    compatibilityDate: "2026-04-01",
    cf: false,
    bindings,
  });
  return { worker, origin: (await worker.ready).origin };
}
