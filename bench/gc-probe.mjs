// Preloaded into the child servers by the benchmark (NODE_OPTIONS="--import …/gc-probe.mjs"; V8's
// --trace-gc is not allowed in NODE_OPTIONS). Writes one JSON line per GC pause to stdout:
// {"benchGc":{"start":<ms>,"duration":<ms>,"kind":<n>}}, with `start` on the machine's monotonic clock
// (process.hrtime, as bench/clock.ts). Observation only; the server is unchanged.
import { PerformanceObserver, performance } from "node:perf_hooks";

const observer = new PerformanceObserver((list) => {
  // performance.now() and process.hrtime are both monotonic: shift the entry by its age.
  const offset = Number(process.hrtime.bigint()) / 1e6 - performance.now();
  let lines = "";
  for (const entry of list.getEntries()) {
    // kind: perf_hooks.constants NODE_PERFORMANCE_GC_MAJOR 4, MINOR 1, INCREMENTAL 8, WEAKCB 16.
    const kind = entry.detail?.kind ?? 0;
    lines += `${JSON.stringify({ benchGc: { start: entry.startTime + offset, duration: entry.duration, kind } })}\n`;
  }
  process.stdout.write(lines);
});
observer.observe({ entryTypes: ["gc"] });
// Never keep the server alive on its own.
observer.unref?.();
