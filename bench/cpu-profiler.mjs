// Preloaded into a server under test when the run profiles (NODE_OPTIONS="--import …"; --cpu-prof
// itself is not allowed in NODE_OPTIONS, and would cover start-up and connects as well). SIGUSR2
// starts V8's CPU profiler, the next SIGUSR2 stops it and writes the raw profile to
// $BENCH_CPU_PROFILE, so the profile covers exactly the measured updates. `$BENCH_CPU_PROFILE.started`
// tells the benchmark the profiler runs; the profile is renamed into place only once complete.
// Observation only: the server's own code is unchanged.
import { renameSync, writeFileSync } from "node:fs";
import { Session } from "node:inspector";

const file = process.env.BENCH_CPU_PROFILE;
if (file) {
  const session = new Session();
  const post = (method, params = {}) =>
    new Promise((resolve, reject) => session.post(method, params, (error, result) => (error ? reject(error) : resolve(result))));
  let running = false;
  process.on("SIGUSR2", async () => {
    try {
      if (!running) {
        running = true;
        session.connect();
        await post("Profiler.enable");
        await post("Profiler.setSamplingInterval", { interval: 500 }); // µs
        await post("Profiler.start");
        writeFileSync(`${file}.started`, "");
      } else {
        const { profile } = await post("Profiler.stop");
        session.disconnect();
        running = false;
        writeFileSync(`${file}.tmp`, JSON.stringify(profile));
        renameSync(`${file}.tmp`, file);
      }
    } catch (error) {
      console.error("cpu-profiler:", error);
    }
  });
}
