import { describe, expect, it } from "vitest";
import { NO_METRICS } from "../../handlers/metrics.js";
import { Channel, FANOUT_CLOCK_EVERY, FANOUT_SLICE, FANOUT_SLICE_MS, type Part } from "../../handlers/streaming/channel.js";
import { Hub } from "../../handlers/streaming/hub.js";
import { frameMessage } from "../../handlers/streaming/message.js";
import { MemoryStore } from "../../runtime/stores/memory.js";
import { record, RecordingViewer, ScriptedBroker } from "./support/hub-doubles.js";

/** A defer that runs nothing until the test says: each task is one turn of the event loop. */
function manualDefer() {
  const tasks: (() => void)[] = [];
  return {
    defer: (task: () => void) => void tasks.push(task),
    get waiting() {
      return tasks.length;
    },
    /** Runs the tasks queued so far (not the ones they queue). */
    turn() {
      for (const task of tasks.splice(0)) task();
    },
  };
}

const id = (version: number) => ({ incarnation: 1, version });

/** A viewer whose every write takes `costMs` on the channel's clock. */
class SlowViewer extends RecordingViewer {
  constructor(
    private readonly clock: { now: number },
    private readonly costMs: number,
  ) {
    super();
  }
  override deliver(part: Part) {
    this.clock.now += this.costMs;
    super.deliver(part);
  }
}

/** `count` viewers on a channel whose clock moves only as they are written to (`costMs` each). */
function channelWith(count: number, costMs = 0) {
  const loop = manualDefer();
  const clock = { now: 0 };
  const channel = new Channel("s", loop.defer, () => clock.now);
  const viewers = Array.from({ length: count }, () => new SlowViewer(clock, costMs));
  for (const viewer of viewers) channel.add(viewer, 25_000);
  const written = () => viewers.filter((viewer) => viewer.frames.length > 0).length;
  return { loop, channel, viewers, written, close: () => channel.stopKeepAlive() };
}

describe("a channel's fan-out", () => {
  it("writes one slice at once and each further slice after a turn of the event loop", () => {
    const { loop, channel, viewers, written, close } = channelWith(1_000);
    channel.offer(id(1), "<svg>1</svg>");
    expect(written()).toBe(FANOUT_SLICE);
    expect(channel.fanningOut).toBe(true);
    let turns = 0;
    while (loop.waiting > 0) {
      loop.turn();
      turns++;
    }
    expect(turns).toBe(Math.ceil(1_000 / FANOUT_SLICE) - 1);
    expect(viewers.every((viewer) => viewer.frames.join() === "<svg>1</svg>")).toBe(true);
    expect(channel.fanningOut).toBe(false);
    close();
  });

  it("ends a slice once FANOUT_SLICE_MS has run, however few viewers it has written", () => {
    const { loop, channel, viewers, written, close } = channelWith(1_000, 1);
    const perSlice: number[] = [];
    let before = 0;
    channel.offer(id(1), "<svg>1</svg>");
    for (;;) {
      perSlice.push(written() - before);
      before = written();
      if (loop.waiting === 0) break;
      loop.turn();
    }
    // 1 ms a write and a look at the clock every FANOUT_CLOCK_EVERY writes: the slice ends at the first look at or past FANOUT_SLICE_MS.
    const longest = Math.ceil(FANOUT_SLICE_MS / FANOUT_CLOCK_EVERY) * FANOUT_CLOCK_EVERY;
    expect(Math.max(...perSlice)).toBe(longest);
    expect(longest).toBeLessThan(FANOUT_SLICE);
    expect(perSlice.reduce((a, b) => a + b, 0)).toBe(1_000);
    expect(viewers.every((viewer) => viewer.frames.join() === "<svg>1</svg>")).toBe(true);
    expect(channel.fanningOut).toBe(false);
    close();
  });

  it("sends a small channel's part in one go, without waiting for the loop", () => {
    const { loop, channel, written, close } = channelWith(FANOUT_SLICE);
    channel.offer(id(1), "<svg>1</svg>");
    expect(written()).toBe(FANOUT_SLICE);
    expect(loop.waiting).toBe(0);
    close();
  });

  it("lets a newer part replace one still on its way: viewers not yet written get only the newer", () => {
    const { loop, channel, viewers, close } = channelWith(600);
    channel.offer(id(1), "<svg>1</svg>");
    channel.offer(id(2), "<svg>2</svg>");
    while (loop.waiting > 0) loop.turn();
    const early = viewers.slice(0, FANOUT_SLICE);
    const late = viewers.slice(FANOUT_SLICE);
    expect(early.every((viewer) => viewer.frames.join() === "<svg>1</svg>,<svg>2</svg>")).toBe(true);
    expect(late.every((viewer) => viewer.frames.join() === "<svg>2</svg>")).toBe(true);
    close();
  });

  it("stops when the channel ends: no viewer is written after its end", () => {
    const { loop, channel, viewers, close } = channelWith(600);
    channel.offer(id(1), "<svg>1</svg>");
    channel.end();
    loop.turn();
    expect(viewers.every((viewer) => viewer.ended)).toBe(true);
    expect(viewers.filter((viewer) => viewer.frames.length > 0)).toHaveLength(FANOUT_SLICE);
    close();
  });
});

describe("a channel's stream headers", () => {
  it("are the base with the channel's Content-Type, one frozen object per channel and base", () => {
    const base = { "Cache-Control": "no-store" };
    const a = new Channel("a");
    const b = new Channel("b");
    const headers = a.headersWith(base);
    expect(headers).toEqual({ "Cache-Control": "no-store", "Content-Type": a.contentType });
    expect(Object.isFrozen(headers)).toBe(true);
    expect(a.headersWith(base)).toBe(headers);
    // Another channel has its own boundary; another base is not answered from the first's.
    expect(b.headersWith(base)["Content-Type"]).toBe(b.contentType);
    expect(b.contentType).not.toBe(a.contentType);
    expect(a.headersWith({ Vary: "Accept" })).toEqual({ Vary: "Accept", "Content-Type": a.contentType });
    expect(base).toEqual({ "Cache-Control": "no-store" });
  });
});

describe("the hub's local delivery", () => {
  it("happens after the write has settled, never inside it", async () => {
    const loop = manualDefer();
    const store = new MemoryStore();
    const hub = new Hub(store, new ScriptedBroker(), { onError: (error) => { throw error; }, metrics: NO_METRICS, defer: loop.defer });
    const first = record("s", { incarnation: 5_000 });
    await store.create(first, 3600, frameMessage(first));
    const viewer = new RecordingViewer();
    const membership = await hub.join("s", viewer, 25_000);
    viewer.frames.length = 0; // the frame the channel was loaded with
    const next = { ...first, version: 2, frame: "<svg>2</svg>" };
    expect(await hub.commit(next, { expect: { incarnation: first.incarnation, version: 1 } })).toBe("committed");
    expect(viewer.frames).toEqual([]);
    loop.turn();
    expect(viewer.frames).toEqual(["<svg>2</svg>"]);
    membership.leave();
    await store.close();
  });
});
