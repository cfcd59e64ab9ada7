import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import type { SessionRecord } from "../../handlers/index.js";
import { frameMessage } from "../../handlers/streaming/message.js";
import { loadConfig } from "../../runtime/config.js";
import { portsFromConfig } from "../../runtime/node/ports-from-config.js";
import { DEFAULT_MEMORY_MAX_BYTES, DEFAULT_MEMORY_MAX_SESSIONS } from "../../runtime/stores/memory-limits.js";
import { MemoryStore, storedBytes } from "../../runtime/stores/memory.js";

const T0 = 1_700_000_000_000;

function record(id: string, pad = 0, overrides: Partial<SessionRecord> = {}): SessionRecord {
  return {
    id,
    template: "<svg>{{ a }}</svg>",
    args: { a: "x".repeat(pad) },
    frame: `<svg>${"x".repeat(pad)}</svg>`,
    incarnation: T0 * 1000 + 1,
    version: 1,
    tokenHash: "ab".repeat(32),
    createdAt: T0,
    updatedAt: T0,
    expiresAt: T0 + 60_000,
    ...overrides,
  };
}
const bytesOf = (r: SessionRecord) => storedBytes(r, JSON.stringify(r.args));
const next = (r: SessionRecord, pad: number) => ({ ...record(r.id, pad), version: r.version + 1 });
const expectOf = (r: SessionRecord) => ({ expect: { incarnation: r.incarnation, version: r.version } });
const full = expect.objectContaining({ status: 507, code: "store_full" });

describe("the memory store's caps", () => {
  let clock = T0;
  let current: MemoryStore | undefined;
  const make = (options: { maxBytes?: number; maxSessions?: number }) => {
    clock = T0;
    current = new MemoryStore({ now: () => clock, sweepIntervalMs: 3_600_000, ...options });
    return current;
  };
  afterEach(async () => {
    await current?.close();
    current = undefined;
  });

  it("counts a record's strings and its arguments' JSON at two bytes a code unit, the most V8 holds for them", () => {
    const r = record("abc", 0, { template: "<svg/>", frame: "✓🚀", tokenHash: "ab".repeat(32) });
    expect(storedBytes(r, "{}")).toBe(2 * (3 + 6 + 3 + 64 + 2));
    expect(storedBytes(r, '{"a":"✓"}')).toBe(2 * (3 + 6 + 3 + 64 + 9));
    expect(DEFAULT_MEMORY_MAX_BYTES).toBe(64 * 1024 * 1024);
    expect(DEFAULT_MEMORY_MAX_SESSIONS).toBe(100_000);
  });

  it("refuses a create beyond MEMORY_MAX_BYTES with store_full, announcing nothing and keeping every stored record", async () => {
    const first = record("a", 1000);
    const store = make({ maxBytes: bytesOf(first) * 2 + bytesOf(record("d")) });
    const broker = store.broker();
    const heard: string[] = [];
    broker.listen({ message: (_channel, payload) => heard.push(payload), resync: () => {} });
    await broker.subscribe("c");
    expect(await store.create(first, 60, frameMessage(first))).toBe(true);
    expect(await store.create(record("b", 1000), 60, frameMessage(record("b", 1000)))).toBe(true);
    const before = store.usage();
    await expect(store.create(record("c", 1000), 60, frameMessage(record("c", 1000)))).rejects.toThrow(full);
    await expect(store.create(record("c", 1000), 60, frameMessage(record("c", 1000)))).rejects.toThrow(/MEMORY_MAX_BYTES/);
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(heard).toEqual([]);
    expect(store.usage()).toEqual(before);
    expect(await store.get("c")).toBeNull();
    expect(await store.get("a")).toEqual(first);
    // A small one still fits in what is left.
    expect(await store.create(record("d", 0), 60, "n")).toBe(true);
  });

  it("refuses a create beyond MEMORY_MAX_SESSIONS", async () => {
    const store = make({ maxSessions: 2 });
    await store.create(record("a"), 60, "n");
    await store.create(record("b"), 60, "n");
    await expect(store.create(record("c"), 60, "n")).rejects.toThrow(full);
    expect(store.usage().sessions).toBe(2);
    // Deleting one makes room.
    expect(await store.delete("a", record("a").incarnation, "end")).toBe(true);
    expect(await store.create(record("c"), 60, "n")).toBe(true);
  });

  it("refuses a commit that grows a record past the cap, leaving it as it was; one that shrinks it is taken", async () => {
    const small = record("a", 100);
    const store = make({ maxBytes: bytesOf(record("a", 1000)) + 100 });
    await store.create(small, 60, "n");
    await store.create(record("b", 300), 60, "n");
    await expect(store.commit(next(small, 1000), expectOf(small), "n")).rejects.toThrow(full);
    expect(await store.get("a")).toEqual(small);
    const smaller = next(small, 10);
    expect(await store.commit(smaller, expectOf(small), "n")).toBe("committed");
    // Stale writes are conflicts before they are anything else.
    expect(await store.commit(next(small, 1000), expectOf(small), "n")).toBe("conflict");
  });

  it("keeps the count exact across create, commit, delete, lazy expiry and the sweep", async () => {
    const store = make({});
    const live = new Map<string, SessionRecord>();
    const expected = () => [...live.values()].reduce((sum, r) => sum + bytesOf(r), 0);
    for (let i = 0; i < 20; i++) {
      const r = record(`s${i}`, i * 37, { expiresAt: T0 + (i % 2 ? 10_000 : 60_000) });
      await store.create(r, i % 2 ? 10 : 60, "n");
      live.set(r.id, r);
    }
    expect(store.usage()).toEqual({ sessions: 20, bytes: expected() });
    for (let i = 0; i < 20; i += 3) {
      const r = live.get(`s${i}`)!;
      const grown = next(r, (i + 1) * 91);
      expect(await store.commit(grown, expectOf(r), "n")).toBe("committed");
      live.set(r.id, grown);
    }
    expect(store.usage()).toEqual({ sessions: 20, bytes: expected() });
    for (const id of ["s2", "s4"]) {
      await store.delete(id, live.get(id)!.incarnation, "end");
      live.delete(id);
    }
    expect(store.usage()).toEqual({ sessions: 18, bytes: expected() });
    clock = T0 + 11_000; // the odd ones expire
    expect(await store.get("s1")).toBeNull(); // lazy expiry drops it
    live.delete("s1"); // the other expired ones are held until the sweep
    expect(store.usage()).toEqual({ sessions: 17, bytes: expected() });
    (store as unknown as { sweep(): void }).sweep();
    for (const [id] of live) if (Number(id.slice(1)) % 2) live.delete(id);
    expect(store.usage()).toEqual({ sessions: live.size, bytes: expected() });
    // An expired id created again counts once.
    const again = record("s3", 5);
    await store.create(again, 60, "n");
    live.set("s3", again);
    expect(store.usage()).toEqual({ sessions: live.size, bytes: expected() });
  });

  it("sweeps expired records out before refusing, so they never keep the store full", async () => {
    const store = make({ maxSessions: 2 });
    await store.create(record("a"), 10, "n");
    await store.create(record("b"), 10, "n");
    clock += 10_000;
    expect(await store.create(record("c"), 60, "n")).toBe(true);
    expect(store.usage().sessions).toBe(1);
  });

  it("the Node host gives it MEMORY_MAX_BYTES and MEMORY_MAX_SESSIONS", async () => {
    const config = loadConfig({ MEMORY_MAX_BYTES: "4096", MEMORY_MAX_SESSIONS: "1" });
    expect(config).toMatchObject({ memoryMaxBytes: 4096, memoryMaxSessions: 1 });
    expect(loadConfig({})).toMatchObject({ memoryMaxBytes: DEFAULT_MEMORY_MAX_BYTES, memoryMaxSessions: DEFAULT_MEMORY_MAX_SESSIONS });
    const { store, broker } = portsFromConfig(config, pino({ level: "silent" }));
    try {
      await expect(store.create(record("big", 2_000), 60, "n")).rejects.toThrow(full);
      expect(await store.create(record("small"), 60, "n")).toBe(true);
      await expect(store.create(record("second"), 60, "n")).rejects.toThrow(/1 of 1 sessions/);
    } finally {
      await Promise.all([store.close(), broker.close()]);
    }
  });
});

describe("the memory store's records", () => {
  it("are copies: changing the record given, or one got, changes nothing stored", async () => {
    const store = new MemoryStore({ now: () => T0, sweepIntervalMs: 3_600_000 });
    try {
      const given = record("a", 0, { args: { a: "kept", nested: { deep: [1, 2] } } });
      await store.create(given, 60, "n");
      (given.args as { a: string }).a = "changed by the writer";
      const got = (await store.get("a"))!;
      expect(got.args).toEqual({ a: "kept", nested: { deep: [1, 2] } });
      (got.args as { nested: { deep: number[] } }).nested.deep.push(3);
      got.frame = "changed by a reader";
      expect(await store.get("a")).toEqual({ ...record("a"), args: { a: "kept", nested: { deep: [1, 2] } } });
      expect(await store.get("a")).not.toBe(got);
    } finally {
      await store.close();
    }
  });
});

describe("the memory store's announcements", () => {
  it("are made from a function only when a broker listens to the channel, once for all its brokers", async () => {
    const store = new MemoryStore({ now: () => T0, sweepIntervalMs: 3_600_000 });
    try {
      const [one, two] = [store.broker(), store.broker()];
      const heard: string[] = [];
      for (const broker of [one, two]) broker.listen({ message: (channel, payload) => heard.push(`${channel}:${payload}`), resync: () => {} });
      let made = 0;
      const make = () => `made-${++made}`;
      await store.create(record("a"), 60, make);
      expect(await store.commit(next(record("a"), 0), expectOf(record("a")), make)).toBe("committed");
      expect(made).toBe(0); // nobody listens to "a": nothing encoded
      await one.subscribe("a");
      await two.subscribe("a");
      expect(await store.commit(next(next(record("a"), 0), 0), expectOf(next(record("a"), 0)), make)).toBe("committed");
      expect(made).toBe(1);
      await new Promise((resolve) => setTimeout(resolve, 0));
      expect(heard).toEqual(["a:made-1", "a:made-1"]);
      // A refused commit makes nothing either.
      expect(await store.commit(next(record("a"), 0), expectOf(record("a")), make)).toBe("conflict");
      expect(made).toBe(1);
      expect(heard).toHaveLength(2);
    } finally {
      await store.close();
    }
  });
});
