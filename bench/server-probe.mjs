// Preloaded into every child server of the benchmark (NODE_OPTIONS="--import …/server-probe.mjs";
// --cpu-prof is not allowed in NODE_OPTIONS). It answers on a loopback port of its own, written to
// the file named by BENCH_PROBE_FILE:
//   GET  /memory                    process.memoryUsage() and V8's heap spaces (no GC forced)
//   POST /cpu/start?interval_us=N   starts the V8 CPU profiler
//   POST /cpu/stop?file=PATH        stops it and writes the .cpuprofile
//   POST /alloc/start               starts V8's sampling heap profiler, counting collected objects too
//   POST /alloc/stop?file=PATH      stops it and writes the .heapprofile (bytes allocated by function)
//   POST /heap?file=PATH            writes a heap snapshot (blocks the process meanwhile)
// The server itself is unchanged; the probe's port never keeps the process alive, and the
// inspector session is opened only when a profile is asked for.
import { writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { Session } from "node:inspector";
import { URL } from "node:url";
import { getHeapSpaceStatistics, writeHeapSnapshot } from "node:v8";

const file = process.env.BENCH_PROBE_FILE;
if (file) {
  let session;
  const post = (method, params = {}) => {
    if (!session) {
      session = new Session();
      session.connect();
    }
    return new Promise((resolve, reject) =>
      session.post(method, params, (error, result) => (error ? reject(error) : resolve(result))),
    );
  };

  const memory = () => {
    const spaces = {};
    for (const space of getHeapSpaceStatistics()) {
      spaces[space.space_name] = { size: space.space_size, used: space.space_used_size };
    }
    return { ...process.memoryUsage(), spaces };
  };

  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? "/", "http://probe");
    try {
      let answer;
      if (req.method === "GET" && url.pathname === "/memory") {
        answer = memory();
      } else if (req.method === "POST" && url.pathname === "/cpu/start") {
        await post("Profiler.enable");
        await post("Profiler.setSamplingInterval", { interval: Number(url.searchParams.get("interval_us") ?? 250) });
        await post("Profiler.start");
        answer = { started: true };
      } else if (req.method === "POST" && url.pathname === "/cpu/stop") {
        const { profile } = await post("Profiler.stop");
        await post("Profiler.disable");
        writeFileSync(url.searchParams.get("file"), JSON.stringify(profile));
        answer = { file: url.searchParams.get("file") };
      } else if (req.method === "POST" && url.pathname === "/alloc/start") {
        await post("HeapProfiler.enable");
        await post("HeapProfiler.startSampling", {
          samplingInterval: Number(url.searchParams.get("interval_bytes") ?? 16384),
          includeObjectsCollectedByMajorGC: true,
          includeObjectsCollectedByMinorGC: true,
        });
        answer = { started: true };
      } else if (req.method === "POST" && url.pathname === "/alloc/stop") {
        const { profile } = await post("HeapProfiler.stopSampling");
        await post("HeapProfiler.disable");
        writeFileSync(url.searchParams.get("file"), JSON.stringify(profile));
        answer = { file: url.searchParams.get("file") };
      } else if (req.method === "POST" && url.pathname === "/heap") {
        answer = { file: writeHeapSnapshot(url.searchParams.get("file")) };
      } else {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { "Content-Type": "application/json" }).end(JSON.stringify(answer));
    } catch (error) {
      res.writeHead(500, { "Content-Type": "text/plain" }).end(String(error?.stack ?? error));
    }
  });
  server.listen(0, "127.0.0.1", () => {
    writeFileSync(file, `http://127.0.0.1:${server.address().port}`);
  });
  server.unref();
}
