/**
 * The ports contract (session store + broker), shared by every backend's test file: the memory
 * pair, Redis over TCP on each topology (single, Sentinel, Cluster), and Upstash over HTTP.
 */
import { randomBytes } from "node:crypto";
import { describe, expect, it, vi, afterEach, beforeEach } from "vitest";
import { type Broker, type SessionRecord, type SessionStore } from "../../handlers/index.js";
import { endMessage, frameMessage } from "../../handlers/streaming/message.js";

export interface Harness {
  store: SessionStore;
  /** A broker on the same backend; `another()` makes one more (another process). */
  broker: Broker;
  another(): Promise<Broker>;
  /** Lets time pass: advances the injected clock (memory) or really waits (Redis). */
  advance(ms: number): Promise<void>;
  /** The backend's own view of a record's remaining TTL, when it has one (Redis PTTL). */
  remainingTtlMs?(id: string): Promise<number>;
  close(): Promise<void>;
}

export const INCARNATION = 1_700_000_000_000_123;

export function record(id: string, overrides: Partial<SessionRecord> = {}): SessionRecord {
  const now = 1_700_000_000_000;
  return {
    id,
    template: '<svg xmlns="http://www.w3.org/2000/svg">\n  <text>{{ label }} – ✓ "q"</text>\n</svg>',
    args: { label: "build", count: 3, nested: { list: [1, "two", null, true] } },
    frame: '<svg xmlns="http://www.w3.org/2000/svg"><text>build</text></svg>',
    incarnation: INCARNATION,
    version: 1,
    tokenHash: "ab".repeat(32),
    createdAt: now,
    updatedAt: now,
    expiresAt: now + 60_000,
    ...overrides,
  };
}

export const expectOf = (r: SessionRecord) => ({ incarnation: r.incarnation, version: r.version });

/** Collects what a broker hears. */
export function hear(broker: Broker) {
  const heard = { messages: [] as Array<[string, string]>, resyncs: [] as Array<string | undefined> };
  broker.listen({
    message: (channel, payload) => heard.messages.push([channel, payload]),
    resync: (channel) => heard.resyncs.push(channel),
  });
  return heard;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
export const uniquePrefix = () => `t${randomBytes(6).toString("hex")}:`;

export function describeContract(name: string, factory: () => Promise<Harness>): void {
  describe(`ports contract: ${name}`, () => {
    let h: Harness;
    let store: SessionStore;
    beforeEach(async () => {
      h = await factory();
      store = h.store;
    });
    afterEach(async () => {
      await h.close();
    });

    it("get of an unknown id is null", async () => {
      expect(await store.get("nope")).toBeNull();
    });

    it("create then get round-trips every field, as a copy", async () => {
      const r = record("s1", { version: 7 });
      expect(await store.create(r, 60, frameMessage(r))).toBe(true);
      (r.args as { label: string }).label = "mutated by caller";
      const got = await store.get("s1");
      expect(got).toEqual(record("s1", { version: 7 }));
      (got!.args as { label: string }).label = "mutated again";
      expect((await store.get("s1"))?.args["label"]).toBe("build");
    });

    it("create of an existing id returns false, announces nothing and leaves the first record alone", async () => {
      const heard = hear(h.broker);
      await h.broker.subscribe("s1");
      expect(await store.create(record("s1"), 60, "first")).toBe(true);
      expect(await store.create(record("s1", { frame: "<svg/>", version: 9 }), 60, "second")).toBe(false);
      expect(await store.get("s1")).toEqual(record("s1"));
      await vi.waitFor(() => expect(heard.messages).toEqual([["s1", "first"]]));
      await sleep(50);
      expect(heard.messages).toEqual([["s1", "first"]]);
    });

    it("commit without ttlSeconds keeps the remaining TTL", async () => {
      await store.create(record("s1"), 2, "c");
      await h.advance(1200);
      const next = record("s1", { version: 2, frame: "<svg>2</svg>" });
      expect(await store.commit(next, { expect: expectOf(record("s1")) }, "n")).toBe("committed");
      expect(await store.get("s1")).toEqual(next);
      if (h.remainingTtlMs) {
        const left = await h.remainingTtlMs("s1");
        expect(left).toBeGreaterThan(0);
        expect(left).toBeLessThanOrEqual(800);
      }
      await h.advance(1000); // 2.2 s after create: gone, so the TTL was not reset to 2 s
      expect(await store.get("s1")).toBeNull();
    });

    it("commit with ttlSeconds sets a new TTL", async () => {
      await store.create(record("s1"), 1, "c");
      const next = record("s1", { version: 2 });
      expect(await store.commit(next, { expect: expectOf(record("s1")), ttlSeconds: 60 }, "n")).toBe("committed");
      await h.advance(1300);
      expect(await store.get("s1")).toEqual(next);
      if (h.remainingTtlMs) expect(await h.remainingTtlMs("s1")).toBeGreaterThan(55_000);
    });

    it("commit of a missing id is 'missing' and creates nothing", async () => {
      expect(await store.commit(record("ghost", { version: 2 }), { expect: expectOf(record("ghost")) }, "n")).toBe("missing");
      expect(await store.get("ghost")).toBeNull();
    });

    it("commit with a stale version, or against another incarnation, is 'conflict', changes nothing and announces nothing", async () => {
      const heard = hear(h.broker);
      await h.broker.subscribe("s1");
      await store.create(record("s1", { version: 3 }), 60, "created");
      const stale = record("s1", { version: 3, frame: "<svg>lost</svg>" });
      expect(await store.commit(stale, { expect: { incarnation: INCARNATION, version: 2 } }, "stale")).toBe("conflict");
      expect(await store.commit(stale, { expect: { incarnation: INCARNATION - 1, version: 3 } }, "other")).toBe("conflict");
      expect(await store.get("s1")).toEqual(record("s1", { version: 3 }));
      await sleep(50);
      expect(heard.messages.map(([, payload]) => payload)).toEqual(["created"]);
    });

    it("records written before incarnations existed compare as createdAt × 1000", async () => {
      const legacy = record("old");
      // What an older replica stored: no incarnation field at all.
      const withoutIncarnation: Partial<SessionRecord> = { ...legacy };
      delete withoutIncarnation.incarnation;
      await h.store.create(withoutIncarnation as SessionRecord, 60, "c");
      const read = (await store.get("old"))!;
      expect(read.incarnation).toBe(legacy.createdAt * 1000);
      const next = { ...read, version: 2 };
      expect(await store.commit(next, { expect: expectOf(read) }, "n")).toBe("committed");
    });

    it("records expire after their TTL, and an expired id can be created again", async () => {
      await store.create(record("s1"), 1, "c");
      expect(await store.get("s1")).not.toBeNull();
      await h.advance(1200);
      expect(await store.get("s1")).toBeNull();
      expect(await store.commit(record("s1", { version: 2 }), { expect: expectOf(record("s1")) }, "n")).toBe("missing");
      expect(await store.create(record("s1"), 60, "c")).toBe(true);
    });

    it("delete removes only the incarnation named, once, and announces the end", async () => {
      const heard = hear(h.broker);
      await h.broker.subscribe("s1");
      await store.create(record("s1"), 60, "c");
      expect(await store.delete("s1", INCARNATION + 1, "wrong")).toBe(false);
      expect(await store.get("s1")).not.toBeNull();
      expect(await store.delete("s1", INCARNATION, endMessage(INCARNATION))).toBe(true);
      expect(await store.delete("s1", INCARNATION, "again")).toBe(false);
      expect(await store.get("s1")).toBeNull();
      await vi.waitFor(() => expect(heard.messages.map(([, p]) => p)).toEqual(["c", endMessage(INCARNATION)]));
    });

    it("ping resolves", async () => {
      await expect(store.ping()).resolves.toBeUndefined();
    });

    it("every change is announced, in order, to each broker subscribed to its channel and no other", async () => {
      const a = hear(h.broker);
      const otherBroker = await h.another();
      const b = hear(otherBroker);
      await h.broker.subscribe("A");
      await otherBroker.subscribe("A");
      await otherBroker.subscribe("B");
      let r = record("A");
      await store.create(r, 60, "v1");
      for (let v = 2; v <= 5; v++) {
        const next = { ...r, version: v };
        expect(await store.commit(next, { expect: expectOf(r) }, `v${v}`)).toBe("committed");
        r = next;
      }
      await store.create(record("B"), 60, "b-only");
      await store.create(record("C"), 60, "nobody");
      const sent = ["v1", "v2", "v3", "v4", "v5"].map((p) => ["A", p]);
      await vi.waitFor(() => {
        expect(a.messages).toEqual(sent);
        expect(b.messages).toHaveLength(6);
      });
      expect(b.messages.filter(([c]) => c === "A")).toEqual(sent);
      expect(b.messages.filter(([c]) => c === "B")).toEqual([["B", "b-only"]]);
      await sleep(50);
      expect(a.messages).toEqual(sent);
      await otherBroker.close();
    });

    it("subscribe and unsubscribe are idempotent: no count is kept", async () => {
      const heard = hear(h.broker);
      await h.broker.subscribe("A");
      await h.broker.subscribe("A");
      await store.create(record("A"), 60, "x");
      await vi.waitFor(() => expect(heard.messages).toEqual([["A", "x"]]));
      await h.broker.unsubscribe("A");
      await h.broker.unsubscribe("A");
      await h.broker.unsubscribe("never");
      await store.delete("A", INCARNATION, "y");
      await sleep(100);
      expect(heard.messages).toEqual([["A", "x"]]);
    });

    it("an announcement may be a function making it: what it makes is announced, and a made one with a raw newline is refused with nothing stored", async () => {
      const heard = hear(h.broker);
      await h.broker.subscribe("A");
      await h.broker.subscribe("B");
      await store.create(record("A"), 60, () => "made-1");
      expect(await store.commit(record("A", { version: 2 }), { expect: expectOf(record("A")) }, () => "made-2")).toBe("committed");
      await vi.waitFor(() => expect(heard.messages).toEqual([["A", "made-1"], ["A", "made-2"]]));
      await expect(store.create(record("B"), 60, () => "line1\nline2")).rejects.toThrow(TypeError);
      expect(await store.get("B")).toBeNull();
      await expect(store.commit(record("A", { version: 3 }), { expect: { incarnation: INCARNATION, version: 2 } }, () => "line1\rline2")).rejects.toThrow(TypeError);
      expect((await store.get("A"))?.version).toBe(2);
    });

    it("an announcement with a raw newline is refused with a TypeError, and nothing is stored", async () => {
      await expect(store.create(record("A"), 60, "line1\nline2")).rejects.toThrow(TypeError);
      await expect(store.create(record("A"), 60, "line1\r\nline2")).rejects.toThrow(TypeError);
      expect(await store.get("A")).toBeNull();
    });
  });
}
