/**
 * Fan-out and idle-viewer memory of one server, measured the same way for the real server and
 * the bare broadcaster. The N viewers live in the load process; this process sends the updates.
 * Per update: the load process arms every viewer for the update's marker, this process stamps
 * the moment it sends the update, and the load process stamps when the first and the LAST viewer
 * had the complete frame. Both stamps are on the machine-wide monotonic clock (bench/clock.ts).
 * Send → last viewer is what a writer waits until everyone sees the change; it does not depend on
 * when the server chooses to answer the write (the bare broadcaster answers after writing, the
 * real server before publishing through Redis).
 */
import { badgeArgs, badgeLiteral } from "./badge.js";
import { LoadProcess } from "./load-control.js";
import { medianRss } from "./processes.js";
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
  /** Pause before each RSS reading, so start-up and connect garbage can settle. */
  settleMs: number;
}

export interface FanoutResult {
  viewers: number;
  rssBeforeBytes: number;
  rssAfterBytes: number;
  /** (RSS with the N idle viewers − RSS before them) / N. */
  rssPerViewerBytes: number;
  /** Update sent → last / first viewer has the complete frame, ms. */
  toLastMs: Summary;
  toFirstMs: Summary;
  /** Bytes each viewer received per measured update (frame plus multipart framing). */
  bytesPerFrame: number;
  /** The real server served exactly the bare broadcaster's SVG (null: not checked for this server). */
  sameFrame: boolean | null;
  /** The raw .cpuprofile over the measured updates, when profiling. */
  profile: string | null;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function measureFanout(subject: Subject, plan: FanoutPlan, log: (message: string) => void): Promise<FanoutResult> {
  const { server } = subject;
  await sleep(plan.settleMs);
  const rssBeforeBytes = await medianRss(server.pid);
  const load = await LoadProcess.start();
  try {
    log(`  ${server.kind}: opening ${plan.viewers} viewers`);
    await load.open(subject.streamUrl, plan.viewers, subject.firstMarker, plan.connectConcurrency, plan.connectTimeoutMs);
    await sleep(plan.settleMs);
    const rssAfterBytes = await medianRss(server.pid);

    let seq = 0;
    const update = async (marker: string) => {
      const { arrival } = await load.arm(seq++, marker, plan.updateTimeoutMs);
      const sentAt = await subject.update(marker);
      const { firstAt, lastAt } = await arrival;
      return { toFirst: firstAt - sentAt, toLast: lastAt - sentAt };
    };
    const run = `${server.kind}${Date.now().toString(36)}`;
    for (let i = 0; i < plan.warmupUpdates; i++) await update(`mk${run}w${i}`);
    const served = await subject.served();
    const sameFrame = served === null || plan.warmupUpdates < 1 ? null : served === badgeLiteral(badgeArgs(`mk${run}w${plan.warmupUpdates - 1}`));

    log(`  ${server.kind}: ${plan.updates} updates to ${plan.viewers} viewers`);
    await server.profile?.start();
    const bytesBefore = (await load.status()).bytes;
    const samples: { toFirst: number; toLast: number }[] = [];
    for (let i = 0; i < plan.updates; i++) samples.push(await update(`mk${run}u${i}`));
    const status = await load.status();
    const profile = (await server.profile?.stop()) ?? null;
    if (status.failed > 0) throw new Error(`${status.failed} viewers of ${server.kind} failed during the updates`);

    return {
      viewers: plan.viewers,
      rssBeforeBytes,
      rssAfterBytes,
      rssPerViewerBytes: (rssAfterBytes - rssBeforeBytes) / plan.viewers,
      toLastMs: summarize(samples.map((s) => s.toLast)),
      toFirstMs: summarize(samples.map((s) => s.toFirst)),
      bytesPerFrame: (status.bytes - bytesBefore) / (plan.updates * plan.viewers),
      sameFrame,
      profile,
    };
  } finally {
    await load.stop();
  }
}
