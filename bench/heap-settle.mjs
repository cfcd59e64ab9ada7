// Preloaded into both servers under test (NODE_OPTIONS="--expose-gc --import …"): on SIGWINCH,
// two full garbage collections. Before an RSS reading the benchmark asks for them and then waits,
// so the reading holds what the process keeps, not the garbage and young-generation capacity that
// admission left behind, whose release otherwise depends on when V8's memory reducer happens to run
// (docs/FACTS.md). Observation only: the server's own code is unchanged, and SIGWINCH is ignored
// by default, so a server without this preload is not affected by the signal.
import { isMainThread } from "node:worker_threads";

const collect = globalThis.gc;
if (isMainThread && typeof collect === "function") {
  process.on("SIGWINCH", () => {
    collect();
    collect();
  });
}
