// Preloaded into the child server by the benchmark (NODE_OPTIONS="--import …/gc-probe.mjs"; V8's
// --trace-gc is not allowed in NODE_OPTIONS). Writes one JSON line per GC pause to stdout:
// {"benchGc":{"start":<epoch ms>,"duration":<ms>}}. Observation only; the server is unchanged.
import { PerformanceObserver, performance } from "node:perf_hooks";

const observer = new PerformanceObserver((list) => {
  let lines = "";
  for (const entry of list.getEntries()) {
    const start = performance.timeOrigin + entry.startTime;
    lines += `${JSON.stringify({ benchGc: { start, duration: entry.duration } })}\n`;
  }
  process.stdout.write(lines);
});
observer.observe({ entryTypes: ["gc"] });
// Never keep the server alive on its own.
observer.unref?.();
