/**
 * Fan-out at scale, the same way for the real server and the bare baseline: the server is one
 * child process, the N viewers live in another (bench/load-client.ts), and this process sends the
 * updates. For each update: the load process arms every viewer for the update's marker, this
 * process sends it and stamps the moment the HTTP response has been read, and the load process
 * stamps the moment the LAST viewer had the complete frame. Both stamps are on the machine's
 * monotonic clock (bench/clock.ts), so their difference is the fan-out time.
 */
import { randomBytes } from "node:crypto";
import { ApiClient, type ApiResponse } from "./api.js";
import { hrMs } from "./clock.js";
import { LoadClient } from "./load-driver.js";
import { gcWithin, ownCpuMs, processCpuMs, type GcTally } from "./probes.js";
import type { RedisClientProbe, RedisClients } from "./redis-clients.js";
import { BADGE_TEMPLATE, badgeLiteral, type BadgeArgs } from "./render.js";
import { summarize, type Summary } from "./stats.js";
import { machineCpuMs } from "./system.js";
import { hammer, type ThroughputOptions, type ThroughputResult } from "./throughput.js";
import {
  medianRss,
  openFilesOf,
  readServerMemory,
  readStatusBytes,
  type ChildServer,
  type OpenFiles,
  type ServerMemory,
} from "./targets.js";

const LABEL = "build & test";
const COLOR = "#4c1";
const argsWith = (value: string): BadgeArgs => ({ label: LABEL, value, color: COLOR });

/** How a server under test is driven: where viewers connect and how an update is sent. */
export interface Subject {
  server: ChildServer;
  streamUrl: string;
  firstMarker: string;
  /** Sends one update whose frame carries `marker`; resolves once its response has been read. */
  update(marker: string): Promise<ApiResponse>;
  /** The frame the server currently serves as plain SVG, when it can tell (to check both serve the same bytes). */
  currentFrame(): Promise<string | null>;
  /** autocannon's request: the same kind of update, `[<id>]` making each one different. */
  flood: Omit<ThroughputOptions, "connections" | "durationSeconds">;
  close(): void;
}

/** The real server: one session, updated with PATCH /api/session/ID. */
export async function oursSubject(server: ChildServer, tag: string): Promise<Subject> {
  const api = new ApiClient(server.url, hrMs);
  const sessionId = `bench-${tag}-${randomBytes(4).toString("hex")}`;
  const firstMarker = `mk${tag}start`;
  const token = await api.createSession(sessionId, BADGE_TEMPLATE, { ...argsWith(firstMarker) });
  return {
    server,
    // The longest keep-alive allowed, so no resend lands inside the figures.
    streamUrl: `${server.url}/stream/${sessionId}?keep_alive=300000`,
    firstMarker,
    update: (marker) => api.patch(sessionId, { value: marker }, token),
    currentFrame: async () => {
      const response = await api.request("GET", `/svg/${sessionId}`, undefined);
      return response.status === 200 ? response.body : null;
    },
    flood: {
      url: `${server.url}/api/session/${sessionId}`,
      method: "PATCH",
      headers: { "Content-Type": "application/json", Authorization: `Bearer ${token}` },
      body: JSON.stringify({ args: { value: "flood [<id>]" } }),
    },
    close: () => api.close(),
  };
}

/** The baseline: POST /publish with the very frame the real server renders for the same args. */
export async function baselineSubject(server: ChildServer, tag: string): Promise<Subject> {
  const api = new ApiClient(server.url, hrMs);
  const publish = async (marker: string) => {
    const response = await api.request("POST", "/publish", { frame: badgeLiteral(argsWith(marker)) });
    if (response.status !== 200) throw new Error(`POST /publish: ${response.status} ${response.body}`);
    return response;
  };
  const firstMarker = `mk${tag}start`;
  await publish(firstMarker);
  // "[<id>]" would be XML-escaped by badgeLiteral: put it in after rendering.
  const floodBody = JSON.stringify({ frame: badgeLiteral(argsWith("flood FLOODID")) }).replaceAll("FLOODID", "[<id>]");
  return {
    server,
    streamUrl: `${server.url}/stream/x`,
    firstMarker,
    update: publish,
    currentFrame: async () => null,
    flood: { url: `${server.url}/publish`, method: "POST", headers: { "Content-Type": "application/json" }, body: floodBody },
    close: () => api.close(),
  };
}

export interface ScaleOptions {
  viewers: number;
  /** Measured updates, one after another. */
  updates: number;
  /** Untimed updates first (cold JIT in server and client). */
  warmupUpdates: number;
  /** How many viewers connect at a time. */
  connectConcurrency: number;
  /** Per viewer: connect and receive the first frame. */
  connectTimeoutMs: number;
  /** How long to wait for the last viewer of one update before failing the run. */
  updateTimeoutMs: number;
  /** Pause before the RSS readings without viewers and with all N. */
  settleMs: number;
  /** Viewers are opened in this many equal steps, RSS read after each (for the marginal cost). */
  rssSteps: number;
  /** Pause before the RSS reading of an intermediate step. */
  stepSettleMs: number;
  /** autocannon: with the viewers attached, then after closing them (N = 0). */
  flood?: { connections: number; durationSeconds: number };
}

export interface FloodResult {
  withViewers: ThroughputResult;
  /** One more update after the flood: did every viewer get it, and how long after the response. */
  afterFlood: { ok: true; afterResponseMs: number } | { ok: false; error: string };
  viewersFailedAfterFlood: number;
  rssAfterFloodBytes: number;
  withoutViewers: ThroughputResult;
}

export interface ScaleResult {
  server: ChildServer["kind"];
  viewers: number;
  updates: number;
  /** Bytes of one frame's SVG, and whether the real server served exactly the baseline's frame. */
  frameBytes: number;
  sameFrameAsBaseline: boolean | null;
  /** Time for the load process to open all viewers and receive every first frame, ms. */
  connectMs: number;
  rssBeforeBytes: number;
  rssAfterBytes: number;
  rssPerViewerBytes: number;
  /** RSS after each step of opening viewers (the first entry: none). */
  rssSteps: { viewers: number; rssBytes: number }[];
  /**
   * Least-squares slope of RSS over the steps with viewers (leaving out the jump from none to the
   * first step): the cost of one more idle viewer, without one-time costs such as JIT code or the
   * first touch of the young generation's pages.
   */
  rssMarginalPerViewerBytes: number | null;
  rssAfterUpdatesBytes: number;
  /** V8's view right after the RSS readings without viewers and with all N (no GC forced). */
  memoryBefore: ServerMemory;
  memoryAfter: ServerMemory;
  /** VmHWM once the updates (and the flood, when run) are over. */
  rssPeakBytes: number;
  /** The server's Redis connections (CLIENT LIST): no viewers, with the viewers, after the updates. */
  redisClients: { idle: RedisClients; withViewers: RedisClients; afterUpdates: RedisClients } | null;
  /** Update response read → LAST viewer has the complete frame, ms (negative: all had it before). */
  afterResponseMs: Summary;
  /** Update sent → last viewer has it, ms. */
  afterSendMs: Summary;
  /** Update response read → FIRST viewer has it, ms. */
  firstAfterResponseMs: Summary;
  /** The update's HTTP round trip, ms. */
  updateMs: Summary;
  warmupAfterResponseMs: number[];
  serverCpuMsPerUpdate: number;
  clientCpuMsPerUpdate: number;
  /**
   * Share of the machine's CPU that processes other than this benchmark, the server and the load
   * process used during the measured updates (other work on the machine inflates the figures).
   */
  othersCpuShare: number;
  serverGc: GcTally;
  /** The slowest 2% of updates (at least 2), and how many overlapped a server GC pause. */
  slowest: { count: number; withServerGc: number; afterResponseMs: number[] };
  openFiles: { server: OpenFiles; client: OpenFiles };
  clientRssBytes: number;
  flood: FloodResult | null;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Least-squares slope of y over x; null with fewer than two distinct x. */
function slope(points: { x: number; y: number }[]): number | null {
  if (new Set(points.map((p) => p.x)).size < 2) return null;
  const mx = points.reduce((t, p) => t + p.x, 0) / points.length;
  const my = points.reduce((t, p) => t + p.y, 0) / points.length;
  const sxy = points.reduce((t, p) => t + (p.x - mx) * (p.y - my), 0);
  const sxx = points.reduce((t, p) => t + (p.x - mx) ** 2, 0);
  return sxy / sxx;
}

interface Sample {
  sentAt: number;
  doneAt: number;
  firstAt: number;
  lastAt: number;
}

/** One update through the load process: arm, send, await the last viewer. */
async function timedUpdate(subject: Subject, load: LoadClient, seq: number, marker: string, timeoutMs: number): Promise<Sample> {
  const { arrival } = await load.arm(seq, marker, timeoutMs);
  const response = await subject.update(marker);
  const { firstAt, lastAt } = await arrival;
  return { sentAt: response.sentAt, doneAt: response.doneAt, firstAt, lastAt };
}

export async function benchScale(
  subject: Subject,
  options: ScaleOptions,
  redis: RedisClientProbe | null,
  log: (message: string) => void,
): Promise<ScaleResult> {
  const { server } = subject;
  const pid = server.pid;
  const run = randomBytes(3).toString("hex");
  const marker = (i: number | string) => `mk${run}u${i}`;

  await sleep(options.settleMs);
  const rssBeforeBytes = await medianRss(pid);
  const memoryBefore = await readServerMemory(server);
  const redisIdle = redis ? await redis.count() : null;

  const load = await LoadClient.start();
  try {
    log(`  ${server.kind}: opening ${options.viewers} viewers (${options.connectConcurrency} at a time, in ${options.rssSteps} steps)`);
    let connectMs = 0;
    const rssSteps = [{ viewers: 0, rssBytes: rssBeforeBytes }];
    for (let step = 1; step <= options.rssSteps; step++) {
      const open = rssSteps[rssSteps.length - 1]!.viewers;
      const target = Math.round((options.viewers * step) / options.rssSteps);
      connectMs += await load.open(
        subject.streamUrl,
        target - open,
        subject.firstMarker,
        options.connectConcurrency,
        options.connectTimeoutMs,
      );
      await sleep(step === options.rssSteps ? options.settleMs : options.stepSettleMs);
      rssSteps.push({ viewers: target, rssBytes: await medianRss(pid) });
    }
    const rssAfterBytes = rssSteps[rssSteps.length - 1]!.rssBytes;
    const memoryAfter = await readServerMemory(server);
    log(`  ${server.kind}: ${options.viewers} viewers open in ${Math.round(connectMs)} ms`);
    const redisWithViewers = redis ? await redis.count() : null;

    const warmup: number[] = [];
    const samples: Sample[] = [];
    let seq = 0;
    let frameBytes = 0;
    let sameFrameAsBaseline: boolean | null = null;
    for (let i = 0; i < options.warmupUpdates; i++) {
      const sample = await timedUpdate(subject, load, seq++, marker(`w${i}`), options.updateTimeoutMs);
      warmup.push(sample.lastAt - sample.doneAt);
      if (i === 0) {
        const expected = badgeLiteral(argsWith(marker(`w${i}`)));
        frameBytes = Buffer.byteLength(expected);
        const served = await subject.currentFrame();
        if (served !== null) sameFrameAsBaseline = served === expected;
      }
    }
    const clientCpuStart = (await load.status()).cpuMs;
    const serverCpuStart = processCpuMs(pid);
    const machineStart = machineCpuMs();
    const ownStart = ownCpuMs();
    const gcDone = server.gc.watch();
    for (let i = 0; i < options.updates; i++) {
      samples.push(await timedUpdate(subject, load, seq++, marker(i), options.updateTimeoutMs));
    }
    const serverCpuMs = processCpuMs(pid) - serverCpuStart;
    const ownMs = ownCpuMs() - ownStart;
    const machine = machineCpuMs();
    const clientStatus = await load.status();
    const clientCpuMs = clientStatus.cpuMs - clientCpuStart;
    const serverCpuMsPerUpdate = serverCpuMs / options.updates;
    const clientCpuMsPerUpdate = clientCpuMs / options.updates;
    const machineTotal = machine.total - machineStart.total;
    const othersMs = machine.busy - machineStart.busy - serverCpuMs - clientCpuMs - ownMs;
    const othersCpuShare = machineTotal > 0 ? Math.max(0, othersMs) / machineTotal : 0;
    const gc = await gcDone();
    const rssAfterUpdatesBytes = await medianRss(pid, 3);
    const redisAfterUpdates = redis ? await redis.count() : null;

    const afterResponse = samples.map((s) => s.lastAt - s.doneAt);
    const slowestCount = Math.min(samples.length, Math.max(2, Math.ceil(samples.length * 0.02)));
    const slowest = [...samples].sort((a, b) => b.lastAt - b.doneAt - (a.lastAt - a.doneAt)).slice(0, slowestCount);

    let flood: FloodResult | null = null;
    if (options.flood) {
      const { connections, durationSeconds } = options.flood;
      log(`  ${server.kind}: autocannon, ${connections} connections × ${durationSeconds} s, ${options.viewers} viewers attached`);
      const withViewers = await hammer({ ...subject.flood, connections, durationSeconds });
      let afterFlood: FloodResult["afterFlood"];
      try {
        const sample = await timedUpdate(subject, load, seq++, marker("after-flood"), 30_000);
        afterFlood = { ok: true, afterResponseMs: sample.lastAt - sample.doneAt };
      } catch (error) {
        afterFlood = { ok: false, error: (error as Error).message };
      }
      const viewersFailedAfterFlood = (await load.status()).failed;
      const rssAfterFloodBytes = await medianRss(pid, 3);
      await load.close();
      await sleep(1_000);
      log(`  ${server.kind}: autocannon, ${connections} connections × ${durationSeconds} s, no viewers`);
      const withoutViewers = await hammer({ ...subject.flood, connections, durationSeconds });
      flood = { withViewers, afterFlood, viewersFailedAfterFlood, rssAfterFloodBytes, withoutViewers };
    }

    return {
      server: server.kind,
      viewers: options.viewers,
      updates: options.updates,
      frameBytes,
      sameFrameAsBaseline,
      connectMs,
      rssBeforeBytes,
      rssAfterBytes,
      rssPerViewerBytes: (rssAfterBytes - rssBeforeBytes) / options.viewers,
      rssSteps,
      rssMarginalPerViewerBytes: slope(rssSteps.slice(1).map((p) => ({ x: p.viewers, y: p.rssBytes }))),
      rssAfterUpdatesBytes,
      memoryBefore,
      memoryAfter,
      rssPeakBytes: readStatusBytes(pid, "VmHWM"),
      redisClients:
        redisIdle && redisWithViewers && redisAfterUpdates
          ? { idle: redisIdle, withViewers: redisWithViewers, afterUpdates: redisAfterUpdates }
          : null,
      afterResponseMs: summarize(afterResponse),
      afterSendMs: summarize(samples.map((s) => s.lastAt - s.sentAt)),
      firstAfterResponseMs: summarize(samples.map((s) => s.firstAt - s.doneAt)),
      updateMs: summarize(samples.map((s) => s.doneAt - s.sentAt)),
      warmupAfterResponseMs: warmup,
      serverCpuMsPerUpdate,
      clientCpuMsPerUpdate,
      othersCpuShare,
      serverGc: gc.tally,
      slowest: {
        count: slowestCount,
        withServerGc: slowest.filter((s) => gcWithin(gc.pauses, s.sentAt, s.lastAt) > 0).length,
        afterResponseMs: slowest.map((s) => s.lastAt - s.doneAt),
      },
      openFiles: { server: openFilesOf(pid), client: load.openFiles },
      clientRssBytes: clientStatus.rssBytes,
      flood,
    };
  } finally {
    await load.stop();
  }
}
