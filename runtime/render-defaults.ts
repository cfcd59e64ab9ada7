/**
 * Defaults of the Node host's render pool (runtime/node/render-pool.ts), apart from it so that
 * runtime/config.ts, which the edge bundle imports too, needs no Node module. Each number was
 * measured on this repository's 2-core development machine (node 20), as the comments say.
 */

/**
 * A render process's V8 heap ceiling (--max-old-space-size). A warm process
 * holds ~25 MB (satori, fonts; +~10 MB once the Korean subsets are parsed); the worst html render
 * inside the default bounds (2,000 Hangul in one run) adds ~40 MB. Without bounds one 20,000-Hangul
 * run took +1.6 GB, which this ceiling now turns into a 400 and a fresh process. resvg's wasm memory
 * is outside the V8 heap; the same number is the most a process may keep after a PNG before it is
 * replaced (a 4096×4096 PNG leaves ~140 MB of wasm memory behind).
 */
export const DEFAULT_RENDER_WORKER_MEMORY_BYTES = 128 * 1024 * 1024;

/**
 * Renders that may wait for a process; beyond, 503 render_busy. With one process (a 500m pod) and
 * html renders of ~10–50 ms, 64 waiting is 1–3 s of work: a burst, not a backlog.
 */
export const DEFAULT_RENDER_QUEUE = 64;

/**
 * Longest PNG render. Measured: 4096×4096 (MAX_PNG_PIXELS) of plain shapes 0.44 s; a 1 MB frame of
 * glyph paths 0.78 s at scale 1, 1.6 s at scale 2 (6.4 s at scale 4 with a box-shadow, refused);
 * resvg renders about half as fast under a 500m CPU limit. Past it: 422 png_render_limit_exceeded.
 */
export const DEFAULT_PNG_TIMEOUT_MS = 2_000;
