/**
 * Fan-out benchmark: N open streams of one session, then sequential PATCHes; for each, the time
 * until the LAST viewer has the complete new frame (marker seen, then the delimiter after it).
 */
import { randomBytes } from "node:crypto";
import { ApiClient } from "./api.js";
import { BADGE_TEMPLATE } from "./render.js";
import { summarize, type Summary } from "./stats.js";
import { gcWithin, ownCpuMs, processCpuMs, watchGc, type GcTally, type GcWatch } from "./probes.js";
import { readRss, type Target } from "./targets.js";
import { Fleet } from "./viewers.js";

export interface FanoutOptions {
  viewers: number;
  /** Measured updates, one after another. */
  updates: number;
  /** Untimed updates first, so JIT warm-up is not in the figures. */
  warmupUpdates: number;
  /** How long to wait for the last viewer of one update before failing the run. */
  updateTimeoutMs: number;
  /** Pause before each RSS reading, so allocation bursts settle a little. */
  settleMs: number;
}

export interface FanoutResult {
  store: Target["store"];
  host: Target["host"];
  viewers: number;
  updates: number;
  /** Time to open all viewers and receive every first frame, ms. */
  connectMs: number;
  /** PATCH response (body fully read) → last viewer has the frame, ms; negative if every viewer was first. */
  afterResponseMs: Summary;
  /** PATCH sent → last viewer has the frame, ms. */
  afterSendMs: Summary;
  /** PATCH round trip alone, ms. */
  patchMs: Summary;
  /** The untimed warm-up updates (fresh server, cold JIT), same measure as afterResponseMs. */
  warmupAfterResponseMs: number[];
  rssBeforeBytes: number | null;
  rssAfterBytes: number | null;
  rssBytesPerViewer: number | null;
  /** CPU ms per measured update of this (client) process; includes the server when in-process. */
  clientCpuMsPerUpdate: number;
  /** CPU ms per measured update of the server process, when it is a child. */
  serverCpuMsPerUpdate: number | null;
  /** GC pauses in this (client) process during the measured updates. */
  clientGc: GcTally;
  /** GC pauses of the child server during the measured updates (null when in-process: see clientGc). */
  serverGc: GcTally | null;
  /** The slowest updates (by afterResponseMs), and how many overlapped a GC pause of client / server. */
  slowest: {
    count: number;
    withClientGc: number;
    withServerGc: number | null;
    afterResponseMs: number[];
    /** Their positions among the measured updates (0 = first after the warm-up). */
    updateIndex: number[];
  };
}

interface Sample {
  index: number;
  sentAt: number;
  lastAt: number;
  afterResponse: number;
}

/** Of the slowest 2% of updates (at least 2), how many overlapped a GC pause of client / server. */
function slowestWithGc(samples: Sample[], client: GcWatch, server: GcWatch | null): FanoutResult["slowest"] {
  const count = Math.min(samples.length, Math.max(2, Math.ceil(samples.length * 0.02)));
  const slowest = [...samples].sort((a, b) => b.afterResponse - a.afterResponse).slice(0, count);
  const overlapping = (watch: GcWatch) => slowest.filter((s) => gcWithin(watch.pauses, s.sentAt, s.lastAt) > 0).length;
  return {
    count,
    withClientGc: overlapping(client),
    withServerGc: server ? overlapping(server) : null,
    afterResponseMs: slowest.map((s) => s.afterResponse),
    updateIndex: slowest.map((s) => s.index),
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function benchFanout(target: Target, options: FanoutOptions): Promise<FanoutResult> {
  const run = randomBytes(4).toString("hex");
  const sessionId = `bench-${target.store}-${options.viewers}-${run}`;
  const marker = (i: number | string) => `mk${run}u${i}`;
  const api = new ApiClient(target.url);
  const fleet = new Fleet(`${target.url}/stream/${sessionId}?keep_alive=300000`); // no keep-alive resends
  try {
    const token = await api.createSession(sessionId, BADGE_TEMPLATE, {
      label: "build & test",
      value: marker("start"),
      color: "#4c1",
    });

    await sleep(options.settleMs);
    const rssBefore = target.pid ? readRss(target.pid) : null;
    const connectStarted = performance.now();
    await fleet.open(options.viewers, marker("start"));
    const connectMs = performance.now() - connectStarted;
    await sleep(options.settleMs);
    const rssAfter = target.pid ? readRss(target.pid) : null;

    const afterResponse: number[] = [];
    const afterSend: number[] = [];
    const patch: number[] = [];
    const warmup: number[] = [];
    let cpuStart = { client: 0, server: 0 };
    let gcDone: (() => Promise<GcWatch>) | undefined;
    let serverGcDone: (() => Promise<GcWatch>) | undefined;
    const samples: Sample[] = [];
    for (let i = 0; i < options.warmupUpdates + options.updates; i++) {
      if (i === options.warmupUpdates) {
        cpuStart = { client: ownCpuMs(), server: target.pid ? processCpuMs(target.pid) : 0 };
        gcDone = watchGc();
        serverGcDone = target.serverGc?.watch();
      }
      const value = marker(i);
      const allArrived = fleet.expectAll(value, options.updateTimeoutMs);
      allArrived.catch(() => {}); // awaited below; no unhandled rejection if the PATCH fails first
      const response = await api.patch(sessionId, { value }, token);
      const lastAt = await allArrived;
      if (i < options.warmupUpdates) {
        warmup.push(lastAt - response.doneAt);
        continue;
      }
      afterResponse.push(lastAt - response.doneAt);
      samples.push({ index: samples.length, sentAt: response.sentAt, lastAt, afterResponse: lastAt - response.doneAt });
      afterSend.push(lastAt - response.sentAt);
      patch.push(response.doneAt - response.sentAt);
    }
    const clientCpuMsPerUpdate = (ownCpuMs() - cpuStart.client) / options.updates;
    const serverCpuMsPerUpdate = target.pid ? (processCpuMs(target.pid) - cpuStart.server) / options.updates : null;
    const gc: GcWatch = gcDone ? await gcDone() : { tally: { count: 0, totalMs: 0, maxMs: 0 }, pauses: [] };
    const serverGc = serverGcDone ? await serverGcDone() : null;

    return {
      store: target.store,
      host: target.host,
      viewers: options.viewers,
      updates: options.updates,
      connectMs,
      afterResponseMs: summarize(afterResponse),
      afterSendMs: summarize(afterSend),
      patchMs: summarize(patch),
      warmupAfterResponseMs: warmup,
      rssBeforeBytes: rssBefore,
      rssAfterBytes: rssAfter,
      rssBytesPerViewer:
        rssBefore !== null && rssAfter !== null ? (rssAfter - rssBefore) / options.viewers : null,
      clientCpuMsPerUpdate,
      serverCpuMsPerUpdate,
      clientGc: gc.tally,
      serverGc: serverGc?.tally ?? null,
      slowest: slowestWithGc(samples, gc, serverGc),
    };
  } finally {
    fleet.close();
    api.close();
  }
}
