/**
 * One contract for every pair of ports (session store + broker; test/support/store-contract.ts):
 * the same tests run against the memory pair and against Redis over TCP (ioredis) and over HTTP (Upstash REST, through a bridge
 * to the same real redis-server), followed by the checks only Redis can answer (keys, PUBSUB,
 * CLIENT LIST, outages, connection events).
 */
import { Redis } from "ioredis";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, inject, it, vi } from "vitest";
import { StoreUnavailableError } from "../handlers/index.js";
import { ioredisPorts, type IoredisOptions } from "../runtime/stores/ioredis.js";
import { memoryPorts } from "../runtime/stores/memory.js";
import type { RedisEvent } from "../runtime/stores/redis-events.js";
import { upstashBroker, upstashStore } from "../runtime/stores/upstash.js";
import { freePort, startRedisServer, type RedisProcess } from "./support/redis.js";
import { startUpstashBridge, type UpstashBridge } from "./support/upstash-bridge.js";
import { describeContract, expectOf, hear, INCARNATION, record, sleep, uniquePrefix } from "./support/store-contract.js";


describeContract("memory", async () => {
  let now = Date.now();
  const { store, broker } = memoryPorts({ now: () => now });
  return {
    store,
    broker,
    another: async () => store.broker(),
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

async function openRedis(extra: IoredisOptions = {}) {
  const prefix = uniquePrefix();
  const connectionName = `rsvg-test-${prefix.slice(0, -1)}`;
  const ports = ioredisPorts({ url: redisUrl, prefix, connectionName, ...extra });
  await Promise.all([ports.store.connect?.(), ports.broker.connect()]);
  const close = () => Promise.all([ports.store.close(), ports.broker.close()]);
  return { ...ports, prefix, connectionName, close };
}

describeContract("redis", async () => {
  const opened = await openRedis();
  const others: Array<() => Promise<unknown>> = [];
  return {
    store: opened.store,
    broker: opened.broker,
    another: async () => {
      const more = ioredisPorts({ url: redisUrl, prefix: opened.prefix });
      others.push(() => Promise.all([more.store.close(), more.broker.close()]));
      await more.broker.connect();
      return more.broker;
    },
    advance: (ms) => sleep(ms),
    remainingTtlMs: (id) => admin.pttl(`${opened.prefix}{${id}}:session`),
    close: async () => {
      await opened.close();
      await Promise.all(others.map((close) => close()));
      await deleteKeys(opened.prefix);
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

describeContract("upstash", async () => {
  const prefix = uniquePrefix();
  const options = { url: bridge.url, token: bridge.token, prefix };
  const store = upstashStore(options);
  await store.connect?.();
  const brokers = [upstashBroker(options)];
  return {
    store,
    broker: brokers[0]!,
    another: async () => {
      const broker = upstashBroker(options);
      brokers.push(broker);
      return broker;
    },
    advance: (ms) => sleep(ms),
    remainingTtlMs: (id) => admin.pttl(`${prefix}{${id}}:session`),
    close: async () => {
      await Promise.all([store.close(), ...brokers.map((b) => b.close())]);
      await deleteKeys(prefix);
    },
  };
});

describe("the Redis ports on a real Redis", () => {
  let opened: Awaited<ReturnType<typeof openRedis>>;
  beforeEach(async () => {
    opened = await openRedis();
  });
  afterEach(async () => {
    await opened.close();
    await deleteKeys(opened.prefix);
  });

  const channels = (prefix: string) => admin.pubsub("CHANNELS", `${prefix}*`) as Promise<string[]>;
  const countConnections = async (name: string) =>
    ((await admin.client("LIST")) as string).split("\n").filter((line) => line.includes(` name=${name} `)).length;

  it("keys are <prefix>{<id>}:session and channels <prefix>channel:<id>; the record is plain JSON", async () => {
    const { store, broker, prefix } = opened;
    await store.create(record("s1"), 60, "c");
    expect(JSON.parse((await admin.get(`${prefix}{s1}:session`))!)).toEqual(record("s1"));
    await broker.subscribe("c1");
    expect(await channels(prefix)).toEqual([`${prefix}channel:c1`]);
  });

  it("commits and deletes read a record's incarnation and version from its first bytes, and decode any other record", async () => {
    const { store, prefix } = opened;
    await store.create(record("s1", { version: 4 }), 60, "c");
    expect((await admin.get(`${prefix}{s1}:session`))!.startsWith(`{"incarnation":${INCARNATION},"version":4,`)).toBe(true);
    expect(await store.commit(record("s1", { version: 5 }), { expect: { incarnation: INCARNATION, version: 3 } }, "n")).toBe("conflict");
    expect(await store.commit(record("s1", { version: 5 }), { expect: { incarnation: INCARNATION + 1, version: 4 } }, "n")).toBe("conflict");
    expect(await store.commit(record("s1", { version: 5 }), { expect: { incarnation: INCARNATION, version: 4 } }, "n")).toBe("committed");
    expect(await store.delete("s1", INCARNATION + 1, "end")).toBe(false);
    expect(await store.delete("s1", INCARNATION, "end")).toBe(true);

    // As an older version stored it (JSON.stringify's order), with arguments that spell another frame id.
    const old = { ...record("old", { version: 9 }), args: { incarnation: INCARNATION, version: 1, x: 1 } };
    await admin.set(`${prefix}{old}:session`, JSON.stringify(old), "EX", 60);
    expect(await admin.get(`${prefix}{old}:session`)).toContain(`"args":{"incarnation":${INCARNATION},"version":1,`);
    expect(await store.commit(record("old", { version: 2 }), { expect: { incarnation: INCARNATION, version: 1 } }, "n")).toBe("conflict");
    expect(await store.commit(record("old", { version: 10 }), { expect: { incarnation: INCARNATION, version: 9 } }, "n")).toBe("committed");
    await admin.set(`${prefix}{old}:session`, JSON.stringify(old), "EX", 60);
    expect(await store.delete("old", INCARNATION + 1, "end")).toBe(false);
    expect(await store.delete("old", INCARNATION, "end")).toBe(true);
  });

  it("a change and its announcement are one round trip: a commit is one EVALSHA, its SET and PUBLISH run inside it", async () => {
    const { store, prefix } = opened;
    await store.create(record("s1"), 60, "c");
    await store.commit(record("s1", { version: 2 }), { expect: expectOf(record("s1")) }, "warm"); // loads the script
    const monitor = await admin.monitor();
    const seen: Array<{ command: string; source: string }> = [];
    monitor.on("monitor", (_time: string, args: string[], source: string) => {
      if (args.some((arg) => arg.includes(prefix))) seen.push({ command: args[0]!.toLowerCase(), source });
    });
    await store.commit(record("s1", { version: 3 }), { expect: expectOf(record("s1", { version: 2 })) }, "n");
    await vi.waitFor(() => expect(seen.map((s) => s.command)).toContain("publish"));
    await monitor.disconnect();
    const fromClient = seen.filter((s) => s.source !== "lua").map((s) => s.command);
    expect(fromClient).toEqual(["evalsha"]);
    expect(seen.filter((s) => s.source === "lua").map((s) => s.command)).toEqual(["get", "set", "publish"]);
  });

  it("records and tombstones under the keys before hash tags are read, and a commit moves the record with its TTL", async () => {
    const { store, prefix } = opened;
    await admin.set(`${prefix}session:old`, JSON.stringify(record("old")), "EX", 60);
    await admin.set(`${prefix}deleted:gone`, String(INCARNATION), "EX", 60);
    expect(await store.get("old")).toEqual(record("old"));
    expect(await store.lookup("gone")).toEqual({ state: "deleted", incarnation: INCARNATION });
    expect(await store.create(record("old"), 60, "c")).toBe(false);

    expect(await store.commit(record("old", { version: 2 }), { expect: expectOf(record("old")) }, "n")).toBe("committed");
    expect(await admin.exists(`${prefix}session:old`)).toBe(0);
    expect(JSON.parse((await admin.get(`${prefix}{old}:session`))!)).toEqual(record("old", { version: 2 }));
    const ttl = await admin.pttl(`${prefix}{old}:session`);
    expect(ttl).toBeGreaterThan(55_000);
    expect(ttl).toBeLessThanOrEqual(60_000);

    // A create over a legacy tombstone removes it; a delete of a legacy record tombstones the new key.
    expect(await store.create(record("gone"), 60, "c")).toBe(true);
    expect(await admin.exists(`${prefix}deleted:gone`)).toBe(0);
    await admin.set(`${prefix}session:old2`, JSON.stringify(record("old2")));
    expect(await store.delete("old2", INCARNATION, "end")).toBe(true);
    expect(await admin.exists(`${prefix}session:old2`)).toBe(0);
    expect(await store.lookup("old2")).toEqual({ state: "deleted", incarnation: INCARNATION });
  });

  it("a stored record this version cannot read is an error naming it, not a missing session", async () => {
    const { store, prefix } = opened;
    await admin.set(`${prefix}{bad}:session`, '{"id":"bad","version":"not a number"}');
    await expect(store.get("bad")).rejects.toMatchObject({ code: "record_unreadable", status: 500 });
  });

  it("commits still work after Redis forgot the scripts (NOSCRIPT falls back to EVAL)", async () => {
    const { store } = opened;
    await store.create(record("s1"), 60, "c");
    await admin.script("FLUSH");
    expect(await store.commit(record("s1", { version: 2 }), { expect: expectOf(record("s1")) }, "n")).toBe("committed");
    expect(await store.delete("s1", INCARNATION, "end")).toBe(true);
  });

  it("keeps Redis in step when subscribes and unsubscribes of a channel interleave", async () => {
    const { store, broker, prefix } = opened;
    const heard = hear(broker);
    const key = `${prefix}channel:c1`;
    for (let round = 0; round < 5; round++) {
      await Promise.all([broker.subscribe("c1"), broker.unsubscribe("c1"), broker.subscribe("c1")]);
      expect(await channels(prefix)).toEqual([key]);
      await store.create(record("c1"), 60, `r${round}`);
      await vi.waitFor(() => expect(heard.messages.at(-1)).toEqual(["c1", `r${round}`]));
      await store.delete("c1", INCARNATION, "end");
      await broker.unsubscribe("c1");
      expect(await channels(prefix)).toEqual([]);
    }
  });

  it("uses exactly two connections, even with 50 channels subscribed", async () => {
    const { store, broker, prefix, connectionName } = opened;
    expect(await countConnections(connectionName)).toBe(2);
    await Promise.all(Array.from({ length: 50 }, (_, i) => broker.subscribe(`c${i}`)));
    await store.create(record("c7"), 60, "hello");
    expect((await channels(prefix)).length).toBe(50);
    expect(await countConnections(connectionName)).toBe(2);
    await Promise.all(Array.from({ length: 50 }, (_, i) => broker.unsubscribe(`c${i}`)));
    expect(await channels(prefix)).toEqual([]);
    await opened.close();
    await vi.waitFor(async () => expect(await countConnections(connectionName)).toBe(0));
  });
});

describe("the Redis ports when Redis is down", () => {
  let server: RedisProcess | undefined;
  let opened: ReturnType<typeof ioredisPorts> | undefined;
  afterEach(async () => {
    await Promise.all([opened?.store.close(), opened?.broker.close()]);
    await server?.stop();
    server = undefined;
    opened = undefined;
    vi.restoreAllMocks();
  });

  it("fail fast with StoreUnavailableError, tell each connection's loss once, and recover by themselves", async () => {
    const consoleError = vi.spyOn(console, "error");
    const events: RedisEvent[] = [];
    const port = await freePort();
    opened = ioredisPorts({ port, host: "127.0.0.1", prefix: uniquePrefix(), connectTimeoutMs: 1000, onEvent: (e) => events.push(e) });
    const { store, broker } = opened;
    await expect(store.connect!()).rejects.toBeInstanceOf(StoreUnavailableError);
    for (const attempt of [() => store.get("s1"), () => store.create(record("s1"), 60, "c")]) {
      const started = Date.now();
      await expect(attempt()).rejects.toBeInstanceOf(StoreUnavailableError);
      expect(Date.now() - started).toBeLessThan(3000);
    }
    await expect(broker.subscribe("c1")).rejects.toBeInstanceOf(StoreUnavailableError);
    await sleep(1500); // several reconnect attempts
    // One event per connection per outage, with its address, and nothing from ioredis itself.
    expect(events.map((e) => [e.type, e.connection, e.address]).sort()).toEqual([
      ["lost", "command", `127.0.0.1:${port}`],
      ["lost", "subscriber", `127.0.0.1:${port}`],
    ]);
    expect(consoleError).not.toHaveBeenCalled();

    server = await startRedisServer(port);
    await vi.waitFor(() => store.ping(), { timeout: 10_000, interval: 100 });
    expect(await store.create(record("s1"), 60, "c")).toBe(true);
    expect(await store.get("s1")).toEqual(record("s1"));
    await vi.waitFor(() => expect(events.filter((e) => e.type === "reconnected")).toHaveLength(2), { timeout: 10_000 });
  });

  it("tell a wrong password once, as an authentication failure", async () => {
    server = await startRedisServer(undefined, { password: "right" });
    const events: RedisEvent[] = [];
    const url = new URL(server.url);
    opened = ioredisPorts({ host: url.hostname, port: Number(url.port), password: "wrong", prefix: uniquePrefix(), onEvent: (e) => events.push(e) });
    await expect(opened.store.get("s1")).rejects.toBeInstanceOf(StoreUnavailableError);
    await sleep(1500);
    const failures = events.filter((e) => e.type === "auth_failed");
    expect(failures.map((e) => e.connection).sort()).toEqual(["command", "subscriber"]);
    expect(JSON.stringify(events)).not.toContain("wrong");
  });

  it("a Redis that stops answering fails commands after commandTimeoutMs", async () => {
    server = await startRedisServer();
    opened = ioredisPorts({ url: server.url, prefix: uniquePrefix(), commandTimeoutMs: 300 });
    const { store } = opened;
    await store.connect!();
    const probe = new Redis(server.url);
    try {
      await probe.client("PAUSE", 1500, "ALL"); // Redis holds every client's commands
      const started = Date.now();
      const failure = await store.get("s1").catch((err: unknown) => err);
      expect(failure).toBeInstanceOf(StoreUnavailableError);
      expect(((failure as Error).cause as Error).message).toMatch(/timed out/i);
      expect(Date.now() - started).toBeLessThan(1000);
      // Once Redis answers again the late reply is discarded and the connection stays usable.
      await vi.waitFor(() => store.ping(), { timeout: 5000, interval: 100 });
      expect(await store.create(record("s1"), 60, "c")).toBe(true);
      expect(await store.get("s1")).toEqual(record("s1"));
    } finally {
      await probe.quit();
    }
  });

  it("the broker re-subscribes after Redis restarts and asks for a resync", async () => {
    server = await startRedisServer();
    const events: RedisEvent[] = [];
    opened = ioredisPorts({ url: server.url, prefix: uniquePrefix(), onEvent: (e) => events.push(e) });
    const { store, broker } = opened;
    await Promise.all([store.connect!(), broker.connect()]);
    const heard = hear(broker);
    await broker.subscribe("c1");
    await store.create(record("c1"), 60, "before");
    await vi.waitFor(() => expect(heard.messages).toEqual([["c1", "before"]]));

    await server.restart();
    await vi.waitFor(() => expect(heard.resyncs).toEqual([undefined]), { timeout: 10_000, interval: 50 });
    await vi.waitFor(() => store.ping(), { timeout: 10_000, interval: 100 });
    await store.delete("c1", INCARNATION, "after").catch(() => false);
    await store.create(record("c1"), 60, "after");
    await vi.waitFor(() => expect(heard.messages.at(-1)).toEqual(["c1", "after"]));
    expect(events.filter((e) => e.type === "lost").length).toBe(2);
    expect(events.filter((e) => e.type === "reconnected").length).toBe(2);

    await broker.unsubscribe("c1");
    const probe = new Redis(server.url);
    try {
      expect(await probe.pubsub("CHANNELS", "*")).toEqual([]);
    } finally {
      await probe.quit();
    }
  });
});
