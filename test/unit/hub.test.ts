import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { NO_METRICS } from "../../handlers/metrics.js";
import type { SessionRecord } from "../../handlers/sessions/record.js";
import { Hub } from "../../handlers/streaming/hub.js";
import { endMessage, frameMessage } from "../../handlers/streaming/message.js";
import { MemoryStore } from "../../runtime/stores/memory.js";
import { HOUR, record as baseRecord, RecordingViewer, ScriptedBroker } from "./support/hub-doubles.js";


function setup() {
  const store = new MemoryStore();
  const broker = new ScriptedBroker();
  const hub = new Hub(store, broker, { onError: (error) => { throw error; }, metrics: NO_METRICS });
  return { store, hub, broker };
}

/** A stored session with one local viewer, whose first frame has been taken. */
async function watched(store: MemoryStore, hub: Hub, first: SessionRecord) {
  await store.create(first, 3600, frameMessage(first));
  const viewer = new RecordingViewer();
  await hub.join(first.id, viewer, 25_000);
  viewer.frames.length = 0;
  return viewer;
}

/** Lets queued announcements and the post-answer hand-off run. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 5));

const record = (id: string, overrides: Partial<SessionRecord> = {}) => baseRecord(id, { incarnation: 5_000, ...overrides });

describe("the hub's keep-alive timers", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("are shared per channel and interval, not one per viewer", async () => {
    const { store, hub } = setup();
    await store.create(record("s"), 3600, frameMessage(record("s")));
    const baseline = vi.getTimerCount();
    const viewers = Array.from({ length: 1000 }, () => new RecordingViewer());
    const memberships = [];
    for (const viewer of viewers) memberships.push(await hub.join("s", viewer, 25_000));
    const odd = new RecordingViewer();
    memberships.push(await hub.join("s", odd, 5_000));
    // one keep-alive timer per interval (2) and one expiry timer for the channel
    expect(vi.getTimerCount() - baseline).toBe(3);
    for (const viewer of [...viewers, odd]) viewer.frames.length = 0;

    vi.advanceTimersByTime(25_000);
    // A thousand viewers are written in slices of 256, each after a zero-delay turn of the loop.
    for (let slice = 1; slice < 4; slice++) vi.advanceTimersByTime(1);
    expect(viewers.map((viewer) => viewer.frames.length).join("")).toBe("1".repeat(1000));
    expect(odd.frames.length).toBe(5);

    for (const membership of memberships) membership.leave();
    expect(vi.getTimerCount() - baseline).toBe(0);
    expect(hub.channelCount).toBe(0);
    await store.close();
  });
});

describe("the hub", () => {
  it("reads the store for the first local viewer only, and returns a handle that leaves once", async () => {
    const { store, hub } = setup();
    await store.create(record("s"), 3600, "created");
    let reads = 0;
    const get = store.get.bind(store);
    store.get = (id) => {
      reads++;
      return get(id);
    };
    const a = await hub.join("s", new RecordingViewer(), 25_000);
    const b = await hub.join("s", new RecordingViewer(), 25_000);
    expect(reads).toBe(1);
    expect(a.current?.svg).toBe("<svg>1</svg>");
    a.leave();
    a.leave();
    expect(hub.viewersOf("s")).toBe(1);
    b.leave();
    expect(hub.channelCount).toBe(0);
  });

  it("answers 404 for a session that does not exist, and keeps no channel for it", async () => {
    const { hub } = setup();
    await expect(hub.join("ghost", new RecordingViewer(), 25_000)).rejects.toMatchObject({ code: "not_found" });
    expect(hub.channelCount).toBe(0);
    expect(hub.viewerCount).toBe(0);
  });

  it("ignores a frame older than the one it has, and its expiry with it", async () => {
    vi.useFakeTimers({ now: Date.now(), toFake: ["setTimeout", "clearTimeout", "setInterval", "clearInterval", "Date"] });
    try {
      const { store, hub, broker } = setup();
      const viewer = await watched(store, hub, record("s"));
      const v3 = record("s", { version: 3, frame: "<svg>3</svg>", expiresAt: Date.now() + 10 * 24 * HOUR });
      const v2 = record("s", { version: 2, frame: "<svg>2</svg>", expiresAt: Date.now() + 60_000 });
      // v3's announcement arrives, then v2's, late.
      broker.deliver("s", frameMessage(v3));
      broker.deliver("s", frameMessage(v2));
      await vi.advanceTimersByTimeAsync(0); // announcements are handled deferred
      expect(viewer.frames).toEqual(["<svg>3</svg>"]);
      // Had v2's 60 s expiry been taken, the hub would re-read the record when it passed.
      let reads = 0;
      const get = store.get.bind(store);
      store.get = (id) => {
        reads++;
        return get(id);
      };
      await vi.advanceTimersByTimeAsync(120_000);
      expect(reads).toBe(0);
      expect(viewer.ended).toBe(false);
    } finally {
      vi.useRealTimers();
    }
  });

  it("takes a re-created session's frames although their version is lower, and drops the old incarnation's late echoes", async () => {
    const { store, hub, broker } = setup();
    const old = record("s", { version: 4, frame: "<svg>old 4</svg>" });
    const viewer = await watched(store, hub, old);
    // The record was lost behind the hub's back (flushed, evicted, failed over) and made again
    // elsewhere: a later incarnation, starting at version 1.
    const reborn = record("s", { incarnation: 6_000, version: 1, frame: "<svg>new 1</svg>" });
    broker.deliver("s", frameMessage(reborn));
    broker.deliver("s", frameMessage({ ...reborn, version: 2, frame: "<svg>new 2</svg>" }));
    broker.deliver("s", frameMessage({ ...old, version: 5, frame: "<svg>old 5</svg>" }));
    broker.deliver("s", endMessage(old.incarnation));
    // Handled deferred, in arrival order: the old incarnation's end comes after the new frames.
    expect(viewer.frames).toEqual([]);
    await settle();
    expect(viewer.frames).toEqual(["<svg>new 1</svg>", "<svg>new 2</svg>"]);
    expect(viewer.ended).toBe(false);
    broker.deliver("s", endMessage(reborn.incarnation));
    await settle();
    expect(viewer.ended).toBe(true);
  });

  it("hands an announced frame to local viewers deferred, so whatever the same turn answers goes first", async () => {
    const { store, hub, broker } = setup();
    const v1 = record("s");
    const viewer = await watched(store, hub, v1);
    // The echo of a write arrives as its store answer does: nothing is written to viewers meanwhile.
    broker.deliver("s", frameMessage({ ...v1, version: 2, frame: "<svg>2</svg>" }));
    expect(viewer.frames).toEqual([]);
    await settle();
    expect(viewer.frames).toEqual(["<svg>2</svg>"]);
  });

  it("hands a frame it committed to local viewers right after the writer's answer, without waiting for the announcement", async () => {
    const { store, hub } = setup();
    const v1 = record("s");
    const viewer = await watched(store, hub, v1);
    // The scripted broker delivers nothing: only the hand-off can reach the viewer.
    await hub.commit({ ...v1, version: 2, frame: "<svg>2</svg>" }, { expect: { incarnation: 5_000, version: 1 } });
    expect(viewer.frames).toEqual([]);
    await settle();
    expect(viewer.frames).toEqual(["<svg>2</svg>"]);
  });

  it("ends local streams at once when it deletes the session, and unsubscribes", async () => {
    const { store, hub, broker } = setup();
    const v1 = record("s");
    const viewer = await watched(store, hub, v1);
    expect(broker.subscribed.has("s")).toBe(true);
    expect(await hub.remove(v1)).toBe(true);
    expect(viewer.ended).toBe(true);
    expect(hub.channelCount).toBe(0);
    expect(broker.subscribed.has("s")).toBe(false);
  });

  it("ends every stream on endAll", async () => {
    const { store, hub } = setup();
    await store.create(record("s"), 3600, "c");
    const viewer = new RecordingViewer();
    await hub.join("s", viewer, 25_000);
    hub.endAll();
    expect(viewer.ended).toBe(true);
    expect(hub.viewerCount).toBe(0);
  });
});
