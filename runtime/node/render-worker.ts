/**
 * One render process of runtime/node/render-pool.ts: the portable renderers (the same classes the
 * edge host runs in its isolate) over the Node assets. Given its settings, it warms up — satori,
 * resvg, the default fonts — before saying it is ready, so no render's deadline pays for that;
 * then renders one request at a time, reporting the html clock as it runs and pauses, and after
 * each render how much memory outside the V8 heap (resvg's wasm) it keeps. It exits when the
 * pool's channel closes, so it never outlives the server.
 */
import { getHeapStatistics } from "node:v8";
import { AppError, HtmlRenderer, PngRenderer } from "../../handlers/index.js";
import { nodeRenderAssets } from "./assets.js";
import type { FailureReport, PoolMessage, RenderRequest, WorkerData, WorkerMessage } from "./render-pool.js";

const send = (message: WorkerMessage) => process.send!(message);
/** Wasm memory and other off-heap bytes of this process's isolate. */
const externalBytes = () => (getHeapStatistics() as { external_memory?: number }).external_memory ?? 0;

function report(error: unknown): FailureReport {
  if (error instanceof AppError) return { code: error.code, message: error.message };
  return { message: error instanceof Error ? `${error.name}: ${error.message}` : String(error) };
}

let current = 0;
let renderers: { html: HtmlRenderer; png: PngRenderer } | undefined;

async function start({ limits, extraFonts }: WorkerData): Promise<void> {
  const assets = nodeRenderAssets({ extraFonts });
  const html = new HtmlRenderer(assets, limits, (state) => send({ type: "clock", id: current, ...state }));
  const png = new PngRenderer(assets, limits);
  try {
    await Promise.all([html.ready(), png.ready()]);
    renderers = { html, png };
    send({ type: "ready" });
  } catch (error) {
    send({ type: "broken", message: report(error).message });
  }
}

async function render(request: RenderRequest): Promise<void> {
  current = request.id;
  try {
    const result =
      request.kind === "html"
        ? await renderers!.html.toSvg(request.markup, request.width, request.height)
        : await renderers!.png.draw(request.svg, request.scale);
    send({ type: "done", id: request.id, result, externalBytes: externalBytes() });
  } catch (error) {
    send({ type: "failed", id: request.id, error: report(error), externalBytes: externalBytes() });
  }
}

process.on("message", (message: PoolMessage) => {
  if (message.type === "start") void start(message.data);
  else void render(message);
});
process.on("disconnect", () => process.exit(0));
