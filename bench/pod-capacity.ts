/**
 * How many viewers one pod holds: the figure behind the Knative variant's autoscaling target
 * (deploy/README.md, "Knative"). For each viewer count it measures, on the real server with Redis
 * (as a replica runs it) and on the bare node:http broadcaster in the same run:
 *
 * - memory: resident memory of the server's process tree (the server and its render processes)
 *   with N idle viewers, and the growth per viewer;
 * - CPU: the server process's user+system time over a window of one update a second to one
 *   session all N viewers watch (the worst fan-out: every viewer gets every frame), per second.
 *
 * Then it derives the viewers a pod of the default resources (limits 500m CPU, 512 MiB) holds at
 * 70 % of either limit (Knative's default target utilisation), and prints every figure with the
 * bare broadcaster's as a ratio.
 *
 *   npx tsx bench/pod-capacity.ts             1,000, 5,000 and 10,000 viewers
 *   npx tsx bench/pod-capacity.ts --quick     500 and 2,000
 */
import { processCpuSeconds, processTree } from "./cpu.js";
import { LoadProcess } from "./load-control.js";
import { cleanup, medianRss, rssBytes, spawnBare, spawnOurs, startRedis, type Server } from "./processes.js";
import { bareSubject, oursSubject, type Subject } from "./subjects.js";

const quick = process.argv.includes("--quick");
const COUNTS = quick ? [500, 2_000] : [1_000, 5_000, 10_000];
const WINDOW_S = quick ? 5 : 10;
const POD = { cpuCores: 0.5, memoryBytes: 512 * 1024 * 1024, utilisation: 0.7, maxStreams: 10_000 };

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const treeRss = (pid: number) => processTree(pid).reduce((sum, p) => sum + rssBytes(p), 0);

interface Row {
  viewers: number;
  treeRssBytes: number;
  rssPerViewerBytes: number;
  cpuPerSecond: number;
}

async function measure(subject: Subject, server: Server, viewers: number): Promise<Row> {
  await sleep(1_000);
  const before = await medianRss(server.pid);
  const load = await LoadProcess.start();
  try {
    await load.open(subject.streamUrl, viewers, subject.firstMarker, 200, 60_000);
    await sleep(2_000);
    const after = await medianRss(server.pid);
    const treeRssBytes = treeRss(server.pid);
    let seq = 0;
    const run = `${server.kind}${viewers}${Date.now().toString(36)}`;
    const update = async (marker: string) => {
      const { arrival } = await load.arm(seq++, marker, 60_000);
      await subject.update(marker);
      await arrival;
    };
    for (let i = 0; i < 3; i++) await update(`mk${run}w${i}`); // warm-up
    const cpuStart = processCpuSeconds(server.pid);
    const started = performance.now();
    for (let i = 0; i < WINDOW_S; i++) {
      const tick = started + (i + 1) * 1_000;
      await update(`mk${run}u${i}`);
      await sleep(Math.max(0, tick - performance.now()));
    }
    const elapsed = (performance.now() - started) / 1_000;
    const cpuPerSecond = (processCpuSeconds(server.pid) - cpuStart) / elapsed;
    const status = await load.status();
    if (status.failed > 0) throw new Error(`${status.failed} viewers of ${server.kind} failed`);
    return { viewers, treeRssBytes, rssPerViewerBytes: (after - before) / viewers, cpuPerSecond };
  } finally {
    await load.stop();
  }
}

const mib = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);

async function main() {
  const redisUrl = await startRedis();
  const results: Record<"ours" | "bare", Row[]> = { ours: [], bare: [] };
  for (const kind of ["ours", "bare"] as const) {
    const server = kind === "ours" ? await spawnOurs(redisUrl, null) : await spawnBare(null);
    try {
      for (const viewers of COUNTS) {
        // A fresh session per count, so one count's viewers never linger into the next.
        const subject = kind === "ours" ? await oursSubject(server) : await bareSubject(server);
        results[kind].push(await measure(subject, server, viewers));
        subject.close();
        console.error(`${kind}: ${viewers} viewers measured`);
      }
    } finally {
      await server.stop();
    }
  }
  console.log(`viewers | tree RSS MiB (ours / bare) | RSS per viewer KiB (ours / bare, ratio) | CPU at 1 update/s, cores (ours / bare, ratio)`);
  for (const [i, ours] of results.ours.entries()) {
    const bare = results.bare[i]!;
    console.log(
      `${ours.viewers} | ${mib(ours.treeRssBytes)} / ${mib(bare.treeRssBytes)} | ` +
        `${(ours.rssPerViewerBytes / 1024).toFixed(1)} / ${(bare.rssPerViewerBytes / 1024).toFixed(1)} (${(ours.rssPerViewerBytes / bare.rssPerViewerBytes).toFixed(2)}×) | ` +
        `${ours.cpuPerSecond.toFixed(3)} / ${bare.cpuPerSecond.toFixed(3)} (${(ours.cpuPerSecond / bare.cpuPerSecond).toFixed(2)}×)`,
    );
  }
  // Per-viewer costs from the largest count (fixed costs spread thinnest there).
  const top = results.ours.at(-1)!;
  const base = results.ours[0]!;
  const fixedRss = base.treeRssBytes - base.viewers * top.rssPerViewerBytes;
  const byMemory = (POD.memoryBytes * POD.utilisation - fixedRss) / top.rssPerViewerBytes;
  const byCpu = (POD.cpuCores * POD.utilisation) / (top.cpuPerSecond / top.viewers);
  console.log(
    `pod (${POD.cpuCores} CPU, ${mib(POD.memoryBytes)} MiB) at ${POD.utilisation * 100} %: ` +
      `memory allows ${Math.floor(byMemory)} viewers (fixed ${mib(fixedRss)} MiB), ` +
      `CPU at one frame a second to every viewer allows ${Math.floor(byCpu)}, MAX_STREAMS ${POD.maxStreams}`,
  );
}

main()
  .catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  })
  .finally(() => void cleanup());
