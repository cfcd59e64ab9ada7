/** The memory store's side of lifetimes and deletes: no expiry, renewed TTLs, tombstones. */
import { afterEach, describe, expect, it } from "vitest";
import { TOMBSTONE_SECONDS, type SessionRecord } from "../../handlers/index.js";
import { NEVER_EXPIRES_AT } from "../../handlers/sessions/lifetime.js";
import { MemoryStore } from "../../runtime/stores/memory.js";

const T0 = 1_800_000_000_000;
const YEAR = 365 * 24 * 3_600_000;

function record(id: string, overrides: Partial<SessionRecord> = {}): SessionRecord {
  return {
    id,
    template: "<svg/>",
    args: {},
    frame: "<svg/>",
    incarnation: T0 * 1000 + 1,
    version: 1,
    tokenHash: "ab".repeat(32),
    createdAt: T0,
    updatedAt: T0,
    expiresAt: T0 + 3_000,
    ...overrides,
  };
}
const next = (r: SessionRecord) => ({ ...r, version: r.version + 1 });
const expectOf = (r: SessionRecord) => ({ incarnation: r.incarnation, version: r.version });

describe("the memory store", () => {
  let clock = T0;
  let store: MemoryStore | undefined;
  const make = (options: { maxSessions?: number } = {}) => {
    clock = T0;
    store = new MemoryStore({ now: () => clock, sweepIntervalMs: 3_600_000, ...options });
    return store;
  };
  afterEach(async () => {
    await store?.close();
    store = undefined;
  });

  it("keeps a session created without a TTL for good, and a commit can take the TTL away again", async () => {
    const s = make();
    const forever = record("f", { expiresAt: NEVER_EXPIRES_AT, lifetime: "never" });
    expect(await s.create(forever, null, "c")).toBe(true);
    clock += 10 * YEAR;
    expect(await s.get("f")).toEqual(forever);

    const timed = record("t");
    await s.create(timed, 3, "c");
    expect(await s.commit(next(timed), { expect: expectOf(timed), ttlSeconds: null }, "n")).toBe("committed");
    clock += YEAR;
    expect((await s.lookup("t")).state).toBe("live");
  });

  it("renews: a commit with the lifetime again pushes the expiry out, one without keeps it", async () => {
    const s = make();
    let current = record("r");
    await s.create(current, 3, "c");
    for (let i = 0; i < 5; i++) {
      clock += 2_000; // written every 2 s, lifetime 3 s
      const written = next(current);
      expect(await s.commit(written, { expect: expectOf(current), ttlSeconds: 3 }, "n")).toBe("committed");
      current = written;
    }
    expect(clock - T0).toBe(10_000);
    clock += 2_000;
    const kept = next(current);
    expect(await s.commit(kept, { expect: expectOf(current) }, "n")).toBe("committed");
    clock += 1_500; // 3.5 s after the last renewal
    expect(await s.get("r")).toBeNull();
  });

  it("leaves a tombstone naming the deleted incarnation for TOMBSTONE_SECONDS", async () => {
    const s = make();
    const r = record("d");
    await s.create(r, 600, "c");
    expect(await s.delete("d", r.incarnation, "e")).toBe(true);
    expect(await s.get("d")).toBeNull();
    expect(await s.lookup("d")).toEqual({ state: "deleted", incarnation: r.incarnation });
    clock += TOMBSTONE_SECONDS * 1000 - 1;
    expect((await s.lookup("d")).state).toBe("deleted");
    clock += 1;
    expect(await s.lookup("d")).toEqual({ state: "missing" });
  });

  it("tells a missing session (never made, or expired) from a deleted one, and a create removes the tombstone", async () => {
    const s = make();
    expect(await s.lookup("nobody")).toEqual({ state: "missing" });
    const r = record("x");
    await s.create(r, 3, "c");
    clock += 3_000;
    expect(await s.lookup("x")).toEqual({ state: "missing" });

    const again = record("x", { incarnation: r.incarnation + 10_000 });
    await s.create(again, 60, "c");
    await s.delete("x", again.incarnation, "e");
    const third = record("x", { incarnation: r.incarnation + 20_000 });
    expect(await s.create(third, 60, "c")).toBe(true);
    expect(await s.lookup("x")).toEqual({ state: "live", record: third });
    await s.delete("x", third.incarnation, "e");
    expect(await s.lookup("x")).toEqual({ state: "deleted", incarnation: third.incarnation });
  });

  it("a failed delete leaves no tombstone", async () => {
    const s = make();
    const r = record("w");
    await s.create(r, 60, "c");
    expect(await s.delete("w", r.incarnation + 1, "e")).toBe(false);
    expect(await s.delete("ghost", 1, "e")).toBe(false);
    expect(await s.lookup("ghost")).toEqual({ state: "missing" });
    expect((await s.lookup("w")).state).toBe("live");
  });

  it("keeps at most MEMORY_MAX_SESSIONS tombstones, dropping the oldest, so deleting cannot grow the heap", async () => {
    const s = make({ maxSessions: 3 });
    for (let i = 0; i < 5; i++) {
      const r = record(`s${i}`);
      await s.create(r, 600, "c");
      await s.delete(`s${i}`, r.incarnation, "e");
    }
    const states = await Promise.all([0, 1, 2, 3, 4].map(async (i) => (await s.lookup(`s${i}`)).state));
    expect(states).toEqual(["missing", "missing", "deleted", "deleted", "deleted"]);
    expect(s.usage().sessions).toBe(0);
  });
});
