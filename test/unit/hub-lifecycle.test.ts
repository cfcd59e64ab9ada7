/**
 * How the hub ends streams, or keeps them, when a re-check finds the record gone: a delete (its
 * tombstone) ends them, an expiry ends them, a loss of the store's data keeps them open with their
 * last frame until the session is made again, the expiry they knew, or LOST_SESSION_GRACE_SECONDS.
 * The scripted broker delivers nothing by itself, so every announcement here is "missed" unless
 * the test hands it over.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { NO_METRICS } from "../../handlers/metrics.js";
import type { Announcement, CommitOptions, SessionStore } from "../../handlers/ports/session-store.js";
import { NEVER_EXPIRES_AT } from "../../handlers/sessions/lifetime.js";
import type { SessionRecord } from "../../handlers/sessions/record.js";
import { Hub } from "../../handlers/streaming/hub.js";
import { frameMessage } from "../../handlers/streaming/message.js";
import { MemoryStore } from "../../runtime/stores/memory.js";
import { record, RecordingViewer, ScriptedBroker } from "./support/hub-doubles.js";

/** A memory store that can lose everything at once, as a Redis restarted without persistence does. */
class LosableStore implements SessionStore {
  readonly kind = "memory";
  private inner = new MemoryStore({ sweepIntervalMs: 24 * 3_600_000 });
  async lose() {
    await this.inner.close();
    this.inner = new MemoryStore({ sweepIntervalMs: 24 * 3_600_000 });
  }
  get(id: string) {
    return this.inner.get(id);
  }
  lookup(id: string) {
    return this.inner.lookup(id);
  }
  create(record: SessionRecord, ttlSeconds: number | null, announcement: Announcement) {
    return this.inner.create(record, ttlSeconds, announcement);
  }
  commit(record: SessionRecord, options: CommitOptions, announcement: Announcement) {
    return this.inner.commit(record, options, announcement);
  }
  delete(id: string, incarnation: number, announcement: string) {
    return this.inner.delete(id, incarnation, announcement);
  }
  async ping() {}
  close() {
    return this.inner.close();
  }
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const GRACE_MS = 10 * MINUTE;

describe("the hub, when a re-check finds the record gone", () => {
  let store: LosableStore;
  let broker: ScriptedBroker;
  let hub: Hub;

  beforeEach(() => {
    vi.useFakeTimers({ now: 1_800_000_000_000, toFake: ["setTimeout", "clearTimeout", "setInterval", "clearInterval", "Date"] });
    store = new LosableStore();
    broker = new ScriptedBroker();
    hub = new Hub(store, broker, { onError: (error) => { throw error; }, metrics: NO_METRICS, lostSessionGraceMs: GRACE_MS });
  });
  afterEach(async () => {
    hub.endAll();
    await store.close();
    vi.useRealTimers();
  });

  async function watched(first: SessionRecord, ttlSeconds: number | null = 3600) {
    await store.create(first, ttlSeconds, frameMessage(first));
    const viewer = new RecordingViewer();
    await hub.join(first.id, viewer, 100 * HOUR); // no keep-alive resends within a test
    viewer.frames.length = 0;
    return viewer;
  }

  const loseEverything = () => store.lose();

  it("ends the streams when the record was deleted although the end announcement was missed (the tombstone)", async () => {
    const first = record("s");
    const viewer = await watched(first);
    // Deleted elsewhere while this process's subscriber was away: the end never arrives.
    expect(await store.delete("s", first.incarnation, "missed")).toBe(true);
    expect((await store.lookup("s")).state).toBe("deleted");
    broker.resync();
    await vi.advanceTimersByTimeAsync(0);
    expect(viewer.ended).toBe(true);
    expect(hub.channelCount).toBe(0);
  });

  it("keeps the streams of a lost record open with their last frame, and shows the re-created session's frames", async () => {
    const first = record("s", { frame: "<svg>old</svg>" });
    const viewer = await watched(first);
    await loseEverything();
    broker.resync();
    await vi.advanceTimersByTimeAsync(MINUTE);
    expect(viewer.ended).toBe(false);
    expect(hub.viewersOf("s")).toBe(1);

    // Made again (a later incarnation, version 1): its announcement reaches the open stream.
    const reborn = record("s", { incarnation: first.incarnation + 5_000_000, frame: "<svg>new</svg>" });
    await store.create(reborn, 3600, frameMessage(reborn));
    broker.deliver("s", frameMessage(reborn));
    await vi.advanceTimersByTimeAsync(0); // announcements are handled deferred
    expect(viewer.frames).toEqual(["<svg>new</svg>"]);
    // Back to normal: the grace no longer applies.
    await vi.advanceTimersByTimeAsync(2 * GRACE_MS);
    expect(viewer.ended).toBe(false);
  });

  it("picks up a re-created session at the next re-check when its announcement was missed too", async () => {
    const first = record("s", { frame: "<svg>old</svg>" });
    const viewer = await watched(first);
    await loseEverything();
    broker.resync();
    await vi.advanceTimersByTimeAsync(MINUTE);
    const reborn = record("s", { incarnation: first.incarnation + 5_000_000, frame: "<svg>new</svg>" });
    await store.create(reborn, 3600, frameMessage(reborn));
    broker.resync();
    await vi.advanceTimersByTimeAsync(0);
    expect(viewer.frames).toEqual(["<svg>new</svg>"]);
    expect(viewer.ended).toBe(false);
  });

  it("ends a lost session's streams LOST_SESSION_GRACE_SECONDS after the loss was seen, however often it re-checks", async () => {
    const viewer = await watched(record("s", { expiresAt: Date.now() + 10 * HOUR }), 10 * 3600);
    await loseEverything();
    broker.resync();
    await vi.advanceTimersByTimeAsync(GRACE_MS / 2);
    broker.resync(); // a second reconnect does not start the grace again
    await vi.advanceTimersByTimeAsync(GRACE_MS / 2 - 1_000);
    expect(viewer.ended).toBe(false);
    await vi.advanceTimersByTimeAsync(2_000);
    expect(viewer.ended).toBe(true);
  });

  it("ends a lost session's streams at the expiry they knew when that comes before the grace is over", async () => {
    const viewer = await watched(record("s", { expiresAt: Date.now() + 2 * MINUTE }), 120);
    await loseEverything();
    broker.resync();
    await vi.advanceTimersByTimeAsync(MINUTE);
    expect(viewer.ended).toBe(false);
    await vi.advanceTimersByTimeAsync(MINUTE + 1_000);
    expect(viewer.ended).toBe(true);
  });

  it("still ends streams at the session's expiry (no tombstone, the expiry has passed)", async () => {
    const viewer = await watched(record("s", { expiresAt: Date.now() + 30_000 }), 30);
    await vi.advanceTimersByTimeAsync(29_000);
    expect(viewer.ended).toBe(false);
    await vi.advanceTimersByTimeAsync(2_000);
    expect(viewer.ended).toBe(true);
  });

  it("keeps a session without expiry open, re-checking hourly, and gives a lost one the grace", async () => {
    const viewer = await watched(record("s", { expiresAt: NEVER_EXPIRES_AT }), null);
    await vi.advanceTimersByTimeAsync(3 * HOUR);
    expect(viewer.ended).toBe(false);
    await loseEverything();
    await vi.advanceTimersByTimeAsync(HOUR); // the hourly re-check sees the loss
    expect(viewer.ended).toBe(false);
    await vi.advanceTimersByTimeAsync(GRACE_MS);
    expect(viewer.ended).toBe(true);
  });

  it("does not end a re-created session's streams for a tombstone of the incarnation before it", async () => {
    const first = record("s", { frame: "<svg>old</svg>" });
    const viewer = await watched(first);
    expect(await store.delete("s", first.incarnation, "seen elsewhere")).toBe(true);
    // This process already shows the successor (its frame arrived), whose record is then lost.
    const reborn = record("s", { incarnation: first.incarnation + 5_000_000, frame: "<svg>new</svg>" });
    broker.deliver("s", frameMessage(reborn));
    await vi.advanceTimersByTimeAsync(0); // announcements are handled deferred: now it shows
    broker.resync();
    await vi.advanceTimersByTimeAsync(MINUTE);
    expect(viewer.frames).toEqual(["<svg>new</svg>"]);
    expect(viewer.ended).toBe(false);
    await vi.advanceTimersByTimeAsync(GRACE_MS);
    expect(viewer.ended).toBe(true);
  });

  it("answers a first viewer of a deleted session with a 404 that says it ended", async () => {
    const first = record("gone");
    await store.create(first, 3600, frameMessage(first));
    await store.delete("gone", first.incarnation, "e");
    await expect(hub.join("gone", new RecordingViewer(), 25_000)).rejects.toMatchObject({ code: "not_found", ended: true });
    await expect(hub.join("never-made", new RecordingViewer(), 25_000)).rejects.toMatchObject({ code: "not_found", ended: false });
  });
});
