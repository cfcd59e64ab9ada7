/**
 * Fan-out and idle-viewer memory of one server, measured the same way for the real server and
 * the bare broadcaster. The N viewers live in the load process; this process sends the updates.
 * Per update: the load process arms every viewer for the update's marker, this process stamps
 * the moment it sends the update, and the load process stamps when the first and the LAST viewer
 * had the complete frame. Both stamps are on the machine-wide monotonic clock (bench/clock.ts).
 * Send → last viewer is what a writer waits until everyone sees the change; it does not depend on
 * when the server chooses to answer the write (the bare broadcaster answers after writing to every
 * viewer, the real server once the frame is stored and published, before its local fan-out).
 * Around that: how long updates take to be answered with no viewer and with the N viewers,
 * the server's CPU per delivered frame, and (when asked) how fast a second batch of viewers is
 * admitted once the process is warm and /health's latency during the fan-outs. RSS per idle
 * viewer is measured on a server process of its own (measureIdleRss): the full collections its
 * readings ask for leave V8's young generation small for a while, which made the same process's
 * later admission cost about 1.5× the CPU (docs/FACTS.md).
 */
import http from "node:http";
import { badgeArgs, badgeLiteral } from "./badge.js";
import { hrMs } from "./clock.js";
import { cpuWindow } from "./cpu.js";
import { LoadProcess } from "./load-control.js";
import { placedForAnswers } from "./placement.js";
import { settledRss } from "./processes.js";
import { summarize, type Summary } from "./stats.js";
import type { Subject } from "./subjects.js";

export interface FanoutPlan {
  viewers: number;
  /** Measured updates, one after another; untimed warm-up ones first (cold JIT everywhere). */
  updates: number;
  warmupUpdates: number;
  /** Viewers connecting at a time, and how long one may take to get its first frame. */
  connectConcurrency: number;
  connectTimeoutMs: number;
  /** How long the last viewer of one update may take before the run fails. */
  updateTimeoutMs: number;
  /**
   * The answer rows' updates are timed in phases of their own, each after this much quiet, ms,
   * with the server on a CPU of its own (placement.ts): with no viewer (after the warm-up updates)
   * and with the N viewers (after the fan-out and admission figures). A server woken from 20 ms of
   * quiet answers about twice as slowly as one kept busy, and every update beside viewers waits
   * for the load process's report (docs/FACTS.md). The fan-out figures' updates go back to back.
   */
  quietMs: number;
  /** Pause before the viewers connect and after, so start-up and connect garbage can settle. */
  pauseMs: number;
  /** How long each RSS reading lets the heap settle, full collections asked for every second (settledRss). */
  settleMs: number;
  /** Viewers opened after the fan-out, timed: admission measured warm (the N viewers' admission ran the JIT). */
  admitViewers: number;
  /** Also probe /health back to back while the updates fan out (the event loop's delay, from outside). */
  probeHealth: boolean;
}

export interface IdleRss {
  rssBeforeBytes: number;
  rssAfterBytes: number;
  /** (RSS with the N idle viewers − RSS before them) / N. */
  rssPerViewerBytes: number;
}

export interface FanoutResult extends IdleRss {
  viewers: number;
  /** `admitViewers` more viewers, warm: admitted per second (each done once its first frame has arrived), the server's CPU per viewer, µs. */
  admission: { viewers: number; perSecond: number; cpuUsPerViewer: number; othersCpuShare: number } | null;
  /** Update sent → its answer, with no viewer attached and with the N viewers, ms; each update after `quietMs` of quiet, placed (placement.ts) unless `answersPlaced` is false. */
  quietMs: number;
  answersPlaced: boolean;
  answerIdleMs: Summary;
  answerMs: Summary;
  /** Update sent → last / first viewer has the complete frame, ms. */
  toLastMs: Summary;
  toFirstMs: Summary;
  /** The server's CPU per frame delivered to one viewer over the measured updates, µs. */
  cpuUsPerFrame: number;
  /** Share of the machine's CPU that went to processes outside the run while the updates fanned out. */
  othersCpuShare: number;
  /** /health answered during the fan-outs, ms (null unless probed). */
  healthMs: Summary | null;
  /** The event loop's delay during the fan-outs, p99 and max, ms (the server's own monitor). */
  loopDelayP99Ms: number;
  loopDelayMaxMs: number;
  /** Bytes each viewer received per measured update (frame plus multipart framing). */
  bytesPerFrame: number;
  /** The real server served exactly the bare broadcaster's SVG (null: not checked for this server). */
  sameFrame: boolean | null;
  /** The raw .cpuprofile over the measured updates, when profiling. */
  profile: string | null;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Both servers' monitors sample every 10 ms (prom-client's default, the bare broadcaster's own),
 * and a sample is the interval between two ticks: an idle loop reads 10 ms (docs/FACTS.md).
 */
export const LOOP_MONITOR_RESOLUTION_MS = 10;

/**
 * The event loop's delay since the last read, from the server's /metrics (prom-client's
 * monitorEventLoopDelay, reset at each read; the bare broadcaster answers the same two lines).
 */
async function eventLoopDelay(url: string): Promise<{ p99Ms: number; maxMs: number }> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const gauge = (name: string) => {
    const match = new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, "m").exec(text);
    if (!match) throw new Error(`/metrics of ${url} has no ${name}`);
    return Number(match[1]) * 1000;
  };
  return { p99Ms: gauge("nodejs_eventloop_lag_p99_seconds"), maxMs: gauge("nodejs_eventloop_lag_max_seconds") };
}

/** GET /health back to back (each on a fresh connection, as a probe makes it) until `stop()`; latencies in ms. */
async function probeHealth(url: string, stopped: () => boolean): Promise<number[]> {
  const ms: number[] = [];
  while (!stopped()) {
    const started = hrMs();
    await new Promise<void>((resolve) => {
      const req = http.get(`${url}/health`, { agent: false }, (res) => {
        res.resume();
        res.on("end", () => resolve());
      });
      req.on("error", () => resolve());
    });
    ms.push(hrMs() - started);
  }
  return ms;
}

/** Opens `plan.admitViewers` viewers, timed, from a load process of their own. */
async function admit(subject: Subject, plan: FanoutPlan, current: string, log: (message: string) => void): Promise<FanoutResult["admission"]> {
  const { server } = subject;
  log(`  ${server.kind}: admitting ${plan.admitViewers} more viewers (warm)`);
  const more = await LoadProcess.start();
  try {
    const admitting = cpuWindow();
    const openedFrom = hrMs();
    await more.open(subject.streamUrl, plan.admitViewers, current, plan.connectConcurrency, plan.connectTimeoutMs);
    const openMs = hrMs() - openedFrom;
    const admitted = admitting.end();
    return {
      viewers: plan.admitViewers,
      perSecond: plan.admitViewers / (openMs / 1000),
      cpuUsPerViewer: (admitted.of(server.pid) / plan.admitViewers) * 1e6,
      othersCpuShare: admitted.othersShare,
    };
  } finally {
    await more.stop();
  }
}

/** `plan.updates` answer times, `timed(i)` called after `plan.quietMs` of quiet each time. */
async function afterQuiet(plan: FanoutPlan, timed: (i: number) => Promise<number>): Promise<number[]> {
  const ms: number[] = [];
  for (let i = 0; i < plan.updates; i++) {
    await sleep(plan.quietMs);
    ms.push(await timed(i));
  }
  return ms;
}

/**
 * The updates with nobody watching, as many as a fan-out run sends (the write path alone): the
 * warm-up ones back to back, then the timed ones placed and after quiet (FanoutPlan.quietMs).
 * Their answer times, whether they were placed, and the last marker.
 */
async function idleUpdates(subject: Subject, plan: FanoutPlan, run: string): Promise<{ answerIdle: number[]; placed: boolean; lastIdle: string }> {
  for (let i = 0; i < plan.warmupUpdates; i++) await subject.update(`mk${run}idle${i}`);
  const { value: answerIdle, placed } = await placedForAnswers(subject.server.pid, null, () =>
    afterQuiet(plan, async (i) => {
      const { sentAt, answeredAt } = await subject.update(`mk${run}idle${plan.warmupUpdates + i}`);
      return answeredAt - sentAt;
    }),
  );
  return { answerIdle, placed, lastIdle: `mk${run}idle${plan.warmupUpdates + plan.updates - 1}` };
}

/**
 * RSS per idle viewer, on a fresh server: the same idle updates a fan-out run starts with, a
 * settled reading, the N viewers, another settled reading.
 */
export async function measureIdleRss(subject: Subject, plan: FanoutPlan, log: (message: string) => void): Promise<IdleRss> {
  const { server } = subject;
  const { lastIdle } = await idleUpdates(subject, plan, `${server.kind}${Date.now().toString(36)}`);
  const rssBeforeBytes = await settledRss(server.pid, plan.settleMs);
  const load = await LoadProcess.start();
  try {
    log(`  ${server.kind}: RSS with ${plan.viewers} idle viewers`);
    await load.open(subject.streamUrl, plan.viewers, lastIdle, plan.connectConcurrency, plan.connectTimeoutMs);
    const rssAfterBytes = await settledRss(server.pid, plan.settleMs);
    return { rssBeforeBytes, rssAfterBytes, rssPerViewerBytes: (rssAfterBytes - rssBeforeBytes) / plan.viewers };
  } finally {
    await load.stop();
  }
}

export async function measureFanout(subject: Subject, plan: FanoutPlan, log: (message: string) => void): Promise<Omit<FanoutResult, keyof IdleRss>> {
  const { server } = subject;
  const run = `${server.kind}${Date.now().toString(36)}`;
  const { answerIdle, placed: idlePlaced, lastIdle } = await idleUpdates(subject, plan, run);

  await sleep(plan.pauseMs);
  const load = await LoadProcess.start();
  try {
    log(`  ${server.kind}: opening ${plan.viewers} viewers`);
    await load.open(subject.streamUrl, plan.viewers, lastIdle, plan.connectConcurrency, plan.connectTimeoutMs);
    await sleep(plan.pauseMs);

    let seq = 0;
    const update = async (marker: string) => {
      const { arrival } = await load.arm(seq++, marker, plan.updateTimeoutMs);
      const { sentAt, answeredAt } = await subject.update(marker);
      const { firstAt, lastAt } = await arrival;
      return { toFirst: firstAt - sentAt, toLast: lastAt - sentAt, answer: answeredAt - sentAt };
    };
    for (let i = 0; i < plan.warmupUpdates; i++) await update(`mk${run}w${i}`);
    const served = await subject.served();
    const sameFrame = served === null || plan.warmupUpdates < 1 ? null : served === badgeLiteral(badgeArgs(`mk${run}w${plan.warmupUpdates - 1}`));

    log(`  ${server.kind}: ${plan.updates} updates to ${plan.viewers} viewers${plan.probeHealth ? ", /health probed meanwhile" : ""}`);
    await server.profile?.start();
    const bytesBefore = (await load.status()).bytes;
    let done = false;
    const health = plan.probeHealth ? probeHealth(server.url, () => done) : null;
    await eventLoopDelay(server.url); // resets the histogram: what follows covers the fan-outs only
    const fanning = cpuWindow();
    const samples: { toFirst: number; toLast: number; answer: number }[] = [];
    for (let i = 0; i < plan.updates; i++) samples.push(await update(`mk${run}u${i}`));
    const fanned = fanning.end();
    const loopDelay = await eventLoopDelay(server.url);
    done = true;
    const healthMs = health ? summarize(await health) : null;
    const status = await load.status();
    const profile = (await server.profile?.stop()) ?? null;
    if (status.failed > 0) throw new Error(`${status.failed} viewers of ${server.kind} failed during the updates`);

    // Admission, warm: more viewers from a second load process, the N above still open.
    const admission = plan.admitViewers > 0 ? await admit(subject, plan, `mk${run}u${plan.updates - 1}`, log) : null;

    // The answer beside the N viewers, as idleUpdates timed it without them (last: the load
    // process is left at the lowest priority).
    log(`  ${server.kind}: ${plan.updates} updates to ${plan.viewers} viewers, answers timed`);
    const answers = await placedForAnswers(server.pid, load.pid, () => afterQuiet(plan, async (i) => (await update(`mk${run}a${i}`)).answer));

    return {
      viewers: plan.viewers,
      admission,
      quietMs: plan.quietMs,
      answersPlaced: idlePlaced && answers.placed,
      answerIdleMs: summarize(answerIdle),
      answerMs: summarize(answers.value),
      toLastMs: summarize(samples.map((s) => s.toLast)),
      toFirstMs: summarize(samples.map((s) => s.toFirst)),
      cpuUsPerFrame: (fanned.of(server.pid) / (plan.updates * plan.viewers)) * 1e6,
      othersCpuShare: fanned.othersShare,
      healthMs,
      loopDelayP99Ms: loopDelay.p99Ms,
      loopDelayMaxMs: loopDelay.maxMs,
      bytesPerFrame: (status.bytes - bytesBefore) / (plan.updates * plan.viewers),
      sameFrame,
      profile,
    };
  } finally {
    await load.stop();
  }
}
