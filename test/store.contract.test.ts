/**
 * One contract for every Store: the same tests run against MemoryStore and against RedisStore on a
 * real redis-server, followed by the checks only Redis can answer (keys, PUBSUB, CLIENT LIST,
 * outages).
 */
import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, inject, it, vi } from "vitest";
import {
  StoreUnavailableError,
  type SessionRecord,
  type Store,
  type SubscribeHandlers,
} from "../handlers/ports/session-store.js";
import { MemoryStore } from "../runtime/stores/memory.js";
import { RedisStore, type RedisStoreOptions } from "../runtime/stores/redis.js";
import { UpstashStore } from "../runtime/stores/upstash.js";
import { freePort, startRedisServer, type RedisProcess } from "./support/redis.js";
import { startUpstashBridge, type UpstashBridge } from "./support/upstash-bridge.js";

interface Harness {
  store: Store;
  /** Lets time pass: advances the injected clock (memory) or really waits (Redis). */
  advance(ms: number): Promise<void>;
  /** The backend's own view of a record's remaining TTL, when it has one (Redis PTTL). */
  remainingTtlMs?(id: string): Promise<number>;
  close(): Promise<void>;
}

function record(id: string, overrides: Partial<SessionRecord> = {}): SessionRecord {
  const now = 1_700_000_000_000;
  return {
    id,
    template: '<svg xmlns="http://www.w3.org/2000/svg">\n  <text>{{ label }} – ✓ "q"</text>\n</svg>',
    args: { label: "build", count: 3, nested: { list: [1, "two", null, true] } },
    frame: '<svg xmlns="http://www.w3.org/2000/svg"><text>build</text></svg>',
    version: 1,
    tokenHash: "ab".repeat(32),
    createdAt: now,
    updatedAt: now,
    expiresAt: now + 60_000,
    ...overrides,
  };
}

/** Collects what a subscription receives. */
function listener(): SubscribeHandlers & { got: string[]; resyncs: number } {
  const l = {
    got: [] as string[],
    resyncs: 0,
    message(payload: string) {
      l.got.push(payload);
    },
    resync() {
      l.resyncs += 1;
    },
  };
  return l;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const uniquePrefix = () => `t${randomBytes(6).toString("hex")}:`;

export function describeStoreContract(name: string, factory: () => Promise<Harness>): void {
  describe(`Store contract: ${name}`, () => {
    let h: Harness;
    let store: Store;
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
      const r = record("s1", { owner: "alice", version: 7 });
      expect(await store.create(r, 60)).toBe(true);
      (r.args as { label: string }).label = "mutated by caller";
      const got = await store.get("s1");
      expect(got).toEqual(record("s1", { owner: "alice", version: 7 }));
      (got!.args as { label: string }).label = "mutated again";
      expect((await store.get("s1"))?.args["label"]).toBe("build");
    });

    it("create of an existing id returns false and leaves the first record alone", async () => {
      expect(await store.create(record("s1"), 60)).toBe(true);
      expect(await store.create(record("s1", { frame: "<svg/>", version: 9 }), 60)).toBe(false);
      expect(await store.get("s1")).toEqual(record("s1"));
    });

    it("update without ttlSeconds keeps the remaining TTL", async () => {
      await store.create(record("s1"), 2);
      await h.advance(1200);
      const next = record("s1", { version: 2, frame: "<svg>2</svg>" });
      expect(await store.update(next, { expectVersion: 1 })).toBe("updated");
      expect(await store.get("s1")).toEqual(next);
      if (h.remainingTtlMs) {
        const left = await h.remainingTtlMs("s1");
        expect(left).toBeGreaterThan(0);
        expect(left).toBeLessThanOrEqual(800);
      }
      await h.advance(1000); // 2.2 s after create: gone, so the TTL was not reset to 2 s
      expect(await store.get("s1")).toBeNull();
    });

    it("update with ttlSeconds sets a new TTL", async () => {
      await store.create(record("s1"), 1);
      const next = record("s1", { version: 2 });
      expect(await store.update(next, { expectVersion: 1, ttlSeconds: 60 })).toBe("updated");
      await h.advance(1300);
      expect(await store.get("s1")).toEqual(next);
      if (h.remainingTtlMs) expect(await h.remainingTtlMs("s1")).toBeGreaterThan(55_000);
    });

    it("update of a missing id is 'missing' and creates nothing", async () => {
      expect(await store.update(record("ghost", { version: 2 }), { expectVersion: 1 })).toBe(
        "missing",
      );
      expect(await store.get("ghost")).toBeNull();
    });

    it("update with a stale version is 'conflict' and changes nothing", async () => {
      await store.create(record("s1", { version: 3 }), 60);
      const stale = record("s1", { version: 3, frame: "<svg>lost</svg>" });
      expect(await store.update(stale, { expectVersion: 2 })).toBe("conflict");
      expect(await store.get("s1")).toEqual(record("s1", { version: 3 }));
    });

    it("records expire after their TTL, and an expired id can be created again", async () => {
      await store.create(record("s1"), 1);
      expect(await store.get("s1")).not.toBeNull();
      await h.advance(1200);
      expect(await store.get("s1")).toBeNull();
      expect(await store.update(record("s1", { version: 2 }), { expectVersion: 1 })).toBe("missing");
      expect(await store.create(record("s1"), 60)).toBe(true);
    });

    it("delete removes once: true, then false, and get is null", async () => {
      await store.create(record("s1", { owner: "alice" }), 60);
      expect(await store.delete("s1")).toBe(true);
      expect(await store.delete("s1")).toBe(false);
      expect(await store.get("s1")).toBeNull();
      expect(await store.listByOwner("alice")).toEqual([]);
    });

    it("listByOwner returns only the live ids of that owner", async () => {
      await store.create(record("a1", { owner: "alice" }), 60);
      await store.create(record("a2", { owner: "alice" }), 1);
      await store.create(record("b1", { owner: "bob" }), 60);
      await store.create(record("p1"), 60);
      expect((await store.listByOwner("alice")).sort()).toEqual(["a1", "a2"]);
      expect(await store.listByOwner("bob")).toEqual(["b1"]);
      expect(await store.listByOwner("nobody")).toEqual([]);
      await h.advance(1200);
      expect(await store.listByOwner("alice")).toEqual(["a1"]);
      await store.delete("a1");
      expect(await store.listByOwner("alice")).toEqual([]);
    });

    it("ping resolves", async () => {
      await expect(store.ping()).resolves.toBeUndefined();
    });

    it("publish delivers in order to every subscriber of the channel and no other", async () => {
      const a1 = listener();
      const a2 = listener();
      const b = listener();
      await store.subscribe("A", a1);
      await store.subscribe("A", a2);
      await store.subscribe("B", b);
      const sent = ["1", "2", "3", '{"v":4}', "5"];
      for (const payload of sent) await store.publish("A", payload);
      await store.publish("B", "b-only");
      await store.publish("A", "end");
      await vi.waitFor(() => {
        expect(a1.got).toEqual([...sent, "end"]);
        expect(a2.got).toEqual([...sent, "end"]);
        expect(b.got).toEqual(["b-only"]);
      });
    });

    it("unsubscribe stops delivery to exactly that registration", async () => {
      const twice = listener();
      const other = listener();
      const unsubFirst = await store.subscribe("A", twice);
      await store.subscribe("A", twice); // same handlers again: an independent registration
      const unsubOther = await store.subscribe("A", other);
      await store.publish("A", "x");
      await vi.waitFor(() => expect(twice.got).toEqual(["x", "x"]));

      await unsubFirst();
      await unsubFirst(); // a second call is harmless
      await unsubOther();
      await store.publish("A", "y");
      await vi.waitFor(() => expect(twice.got).toEqual(["x", "x", "y"]));
      await sleep(50);
      expect(twice.got).toEqual(["x", "x", "y"]);
      expect(other.got).toEqual(["x"]);
    });

    it("publish of a payload with a raw newline throws a TypeError", async () => {
      await expect(store.publish("A", "line1\nline2")).rejects.toThrow(TypeError);
      await expect(store.publish("A", "line1\r\nline2")).rejects.toThrow(TypeError);
    });
  });
}

describeStoreContract("memory", async () => {
  let now = Date.now();
  const store = new MemoryStore({ now: () => now });
  return {
    store,
    advance: async (ms) => {
      now += ms;
    },
    close: () => store.close(),
  };
});

// ---------------------------------------------------------------------------------------------
// Redis

let admin: Redis;
const redisUrl = inject("redisUrl");

beforeAll(() => {
  admin = new Redis(redisUrl);
});
afterAll(async () => {
  await admin.quit();
});

async function deleteKeys(prefix: string): Promise<void> {
  let cursor = "0";
  do {
    const [next, keys] = await admin.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 1000);
    cursor = next;
    if (keys.length > 0) await admin.del(...keys);
  } while (cursor !== "0");
}

async function openRedisStore(extra: RedisStoreOptions = {}) {
  const prefix = uniquePrefix();
  const connectionName = `rsvg-test-${prefix.slice(0, -1)}`;
  const store = new RedisStore({ url: redisUrl, prefix, connectionName, ...extra });
  await store.connect();
  return { store, prefix, connectionName };
}

describeStoreContract("redis", async () => {
  const { store, prefix } = await openRedisStore();
  return {
    store,
    advance: (ms) => sleep(ms),
    remainingTtlMs: (id) => admin.pttl(`${prefix}session:${id}`),
    close: async () => {
      await store.close();
      await deleteKeys(prefix);
    },
  };
});

// ---------------------------------------------------------------------------------------------
// Upstash (HTTP): the same Redis, reached through an Upstash-REST-compatible bridge

let bridge: UpstashBridge;
beforeAll(async () => {
  bridge = await startUpstashBridge(redisUrl);
});
afterAll(async () => {
  await bridge.close();
});

describeStoreContract("upstash", async () => {
  const prefix = uniquePrefix();
  const store = new UpstashStore({ url: bridge.url, token: bridge.token, prefix });
  await store.connect();
  return {
    store,
    advance: (ms) => sleep(ms),
    remainingTtlMs: (id) => admin.pttl(`${prefix}session:${id}`),
    close: async () => {
      await store.close();
      await deleteKeys(prefix);
    },
  };
});

describe("RedisStore on a real Redis", () => {
  let opened: Awaited<ReturnType<typeof openRedisStore>>;
  beforeEach(async () => {
    opened = await openRedisStore();
  });
  afterEach(async () => {
    await opened.store.close();
    await deleteKeys(opened.prefix);
  });

  const channels = (prefix: string) => admin.pubsub("CHANNELS", `${prefix}*`) as Promise<string[]>;
  const countConnections = async (name: string) =>
    ((await admin.client("LIST")) as string)
      .split("\n")
      .filter((line) => line.includes(` name=${name} `)).length;

  it("keys are <prefix>session:<id>, owners <prefix>owner:<owner>, channels <prefix>channel:<name>", async () => {
    const { store, prefix } = opened;
    await store.create(record("s1", { owner: "alice" }), 60);
    expect(JSON.parse((await admin.get(`${prefix}session:s1`))!)).toEqual(record("s1", { owner: "alice" }));
    expect(await admin.smembers(`${prefix}owner:alice`)).toEqual(["s1"]);
    // The owner set expires with its sessions, so abandoned owners leave nothing behind.
    expect(await admin.ttl(`${prefix}owner:alice`)).toBeGreaterThan(50);
    await store.subscribe("c1", listener());
    expect(await channels(prefix)).toEqual([`${prefix}channel:c1`]);
  });

  it("listByOwner prunes ids of expired sessions from the owner set", async () => {
    const { store, prefix } = opened;
    await store.create(record("a1", { owner: "alice" }), 60);
    await store.create(record("a2", { owner: "alice" }), 1);
    await sleep(1200);
    expect(await store.listByOwner("alice")).toEqual(["a1"]);
    expect(await admin.smembers(`${prefix}owner:alice`)).toEqual(["a1"]);
  });

  it("update still works after Redis forgot the scripts (NOSCRIPT falls back to EVAL)", async () => {
    const { store } = opened;
    await store.create(record("s1"), 60);
    await admin.script("FLUSH");
    expect(await store.update(record("s1", { version: 2 }), { expectVersion: 1 })).toBe("updated");
    expect(await store.delete("s1")).toBe(true);
  });

  it("unsubscribes from Redis after the last registration of a channel leaves", async () => {
    const { store, prefix } = opened;
    const key = `${prefix}channel:c1`;
    const first = await store.subscribe("c1", listener());
    const second = await store.subscribe("c1", listener());
    await first();
    expect(await channels(prefix)).toEqual([key]);
    await second();
    expect(await channels(prefix)).toEqual([]);
  });

  it("keeps Redis in step when subscribes and unsubscribes of a channel interleave", async () => {
    const { store, prefix } = opened;
    const key = `${prefix}channel:c1`;
    for (let round = 0; round < 5; round++) {
      const unsubs = await Promise.all(
        Array.from({ length: 10 }, () => store.subscribe("c1", listener())),
      );
      // Leave and re-enter concurrently: the channel must stay subscribed throughout.
      const late = listener();
      const [, lateUnsub] = await Promise.all([
        Promise.all(unsubs.map((u) => u())),
        store.subscribe("c1", late),
      ]);
      expect(await channels(prefix)).toEqual([key]);
      await store.publish("c1", `r${round}`);
      await vi.waitFor(() => expect(late.got).toEqual([`r${round}`]));
      await lateUnsub();
      expect(await channels(prefix)).toEqual([]);
    }
  });

  it("uses exactly two connections, even with 50 channels subscribed", async () => {
    const { store, prefix, connectionName } = opened;
    expect(await countConnections(connectionName)).toBe(2);
    const unsubs = await Promise.all(
      Array.from({ length: 50 }, (_, i) => store.subscribe(`c${i}`, listener())),
    );
    await store.create(record("s1"), 60);
    await store.publish("c7", "hello");
    expect((await channels(prefix)).length).toBe(50);
    expect(await countConnections(connectionName)).toBe(2);
    await Promise.all(unsubs.map((u) => u()));
    expect(await channels(prefix)).toEqual([]);
    await store.close();
    await vi.waitFor(async () => expect(await countConnections(connectionName)).toBe(0));
  });
});

describe("RedisStore when Redis is down", () => {
  let server: RedisProcess | undefined;
  let store: RedisStore | undefined;
  afterEach(async () => {
    await store?.close();
    await server?.stop();
    server = undefined;
    store = undefined;
    vi.restoreAllMocks();
  });

  it("fails fast with StoreUnavailableError, stays quiet, and recovers by itself", async () => {
    const consoleError = vi.spyOn(console, "error");
    const errors: string[] = [];
    const port = await freePort();
    store = new RedisStore({
      port,
      host: "127.0.0.1",
      prefix: uniquePrefix(),
      connectTimeoutMs: 1000,
      onError: (err, source) => errors.push(`${source}: ${err.message}`),
    });
    await expect(store.connect()).rejects.toBeInstanceOf(StoreUnavailableError);
    for (const attempt of [() => store!.get("s1"), () => store!.create(record("s1"), 60)]) {
      const started = Date.now();
      await expect(attempt()).rejects.toBeInstanceOf(StoreUnavailableError);
      expect(Date.now() - started).toBeLessThan(3000);
    }
    await expect(store.subscribe("c1", listener())).rejects.toBeInstanceOf(StoreUnavailableError);
    await sleep(1500); // several reconnect attempts
    // One report per connection per outage, and nothing from ioredis itself.
    expect(errors.length).toBeLessThanOrEqual(2);
    expect(consoleError).not.toHaveBeenCalled();

    server = await startRedisServer(port);
    await vi.waitFor(() => store!.ping(), { timeout: 10_000, interval: 100 });
    expect(await store.create(record("s1"), 60)).toBe(true);
    expect(await store.get("s1")).toEqual(record("s1"));
  });

  it("a Redis that stops answering fails commands after commandTimeoutMs", async () => {
    server = await startRedisServer();
    store = new RedisStore({ url: server.url, prefix: uniquePrefix(), commandTimeoutMs: 300 });
    await store.connect();
    const probe = new Redis(server.url);
    try {
      await probe.client("PAUSE", 1500, "ALL"); // Redis holds every client's commands
      const started = Date.now();
      const failure = await store.get("s1").catch((err: unknown) => err);
      expect(failure).toBeInstanceOf(StoreUnavailableError);
      expect(((failure as Error).cause as Error).message).toMatch(/timed out/i);
      expect(Date.now() - started).toBeLessThan(1000);
      // Once Redis answers again the late reply is discarded and the connection stays usable.
      await vi.waitFor(() => store!.ping(), { timeout: 5000, interval: 100 });
      expect(await store.create(record("s1"), 60)).toBe(true);
      expect(await store.get("s1")).toEqual(record("s1"));
    } finally {
      await probe.quit();
    }
  });

  it("re-subscribes after Redis restarts and asks listeners to resync", async () => {
    server = await startRedisServer();
    store = new RedisStore({ url: server.url, prefix: uniquePrefix() });
    await store.connect();
    const l = listener();
    const unsubscribe = await store.subscribe("c1", l);
    await store.publish("c1", "before");
    await vi.waitFor(() => expect(l.got).toEqual(["before"]));

    await server.restart();
    await vi.waitFor(() => expect(l.resyncs).toBe(1), { timeout: 10_000, interval: 50 });
    await vi.waitFor(() => store!.ping(), { timeout: 10_000, interval: 100 });
    await store.publish("c1", "after");
    await vi.waitFor(() => expect(l.got).toEqual(["before", "after"]));

    await unsubscribe();
    const probe = new Redis(server.url);
    try {
      expect(await probe.pubsub("CHANNELS", "*")).toEqual([]);
    } finally {
      await probe.quit();
    }
  });
});
