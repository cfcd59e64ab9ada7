/**
 * What only the Upstash (HTTP) store must answer, beyond the shared Store contract: it shares one
 * Redis with the ioredis store, it uses the client the way its header says, and its subscriptions
 * survive streams that end, fail or fall silent. Everything runs against the real redis-server
 * through the Upstash-REST-compatible test bridge.
 */
import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, inject, it, vi } from "vitest";
import { decodeMessage } from "../handlers/streaming/message.js";
import { StoreUnavailableError, type SessionRecord, type SubscribeHandlers } from "../handlers/ports/session-store.js";
import { RedisStore } from "../runtime/stores/redis.js";
import { UpstashStore, type UpstashStoreOptions } from "../runtime/stores/upstash.js";
import { HEARTBEAT_PAYLOAD } from "../runtime/stores/upstash-subscription.js";
import { freePort } from "./support/redis.js";
import { startUpstashBridge, type UpstashBridge } from "./support/upstash-bridge.js";

const redisUrl = inject("redisUrl");
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function record(id: string, overrides: Partial<SessionRecord> = {}): SessionRecord {
  const now = Date.now();
  return {
    id,
    template: "<svg>{{ n }}</svg>",
    args: { n: 1, label: "ünïcode, \"quotes\" & <tags>" },
    frame: "<svg>1</svg>",
    version: 1,
    tokenHash: "cd".repeat(32),
    createdAt: now,
    updatedAt: now,
    expiresAt: now + 60_000,
    ...overrides,
  };
}

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

let admin: Redis;
let bridge: UpstashBridge;
let prefix: string;
const opened: { close(): Promise<void> }[] = [];

beforeAll(() => {
  admin = new Redis(redisUrl);
});
afterAll(async () => {
  await admin.quit();
});
beforeEach(async () => {
  bridge = await startUpstashBridge(redisUrl);
  prefix = `up${randomBytes(6).toString("hex")}:`;
});
afterEach(async () => {
  await Promise.all(opened.splice(0).map((store) => store.close()));
  await bridge.close();
  const keys = await admin.keys(`${prefix}*`);
  if (keys.length > 0) await admin.del(...keys);
});

function upstash(options: Partial<UpstashStoreOptions> = {}): UpstashStore {
  const store = new UpstashStore({ url: bridge.url, token: bridge.token, prefix, ...options });
  opened.push(store);
  return store;
}

const subscribeRequests = () => bridge.requests.filter((r) => r.path.startsWith("/subscribe/"));

describe("UpstashStore and RedisStore on one Redis", () => {
  it("see each other's sessions, versions, owners and channel messages, both ways", async () => {
    const edge = upstash();
    const node = new RedisStore({ url: redisUrl, prefix });
    opened.push(node);

    expect(await edge.create(record("a", { owner: "alice" }), 60)).toBe(true);
    expect(JSON.parse((await admin.get(`${prefix}session:a`))!)).toEqual(await node.get("a"));
    expect(await node.get("a")).toEqual(await edge.get("a"));
    expect(await node.create(record("a"), 60)).toBe(false);

    expect(await node.update(record("a", { owner: "alice", version: 2 }), { expectVersion: 1 })).toBe("updated");
    expect((await edge.get("a"))?.version).toBe(2);
    expect(await edge.update(record("a", { owner: "alice", version: 3 }), { expectVersion: 1 })).toBe("conflict");
    expect(await edge.update(record("a", { owner: "alice", version: 3 }), { expectVersion: 2 })).toBe("updated");
    expect((await node.get("a"))?.version).toBe(3);

    await node.create(record("b", { owner: "alice" }), 60);
    expect(await edge.listByOwner("alice")).toEqual(["a", "b"]);
    expect(await edge.delete("b")).toBe(true);
    expect(await node.listByOwner("alice")).toEqual(["a"]);
    expect(await node.delete("a")).toBe(true);
    expect(await edge.get("a")).toBeNull();

    const onEdge = listener();
    const onNode = listener();
    await edge.subscribe("c", onEdge);
    await node.subscribe("c", onNode);
    await node.publish("c", '{"from":"node"}');
    await edge.publish("c", '{"from":"edge, with commas"}');
    for (const l of [onEdge, onNode]) {
      await vi.waitFor(() => expect(l.got).toEqual(['{"from":"node"}', '{"from":"edge, with commas"}']));
    }
  });
});

describe("UpstashStore's use of the client", () => {
  it("sends one command per request with base64 replies; listByOwner's EXISTS checks go as one pipeline", async () => {
    const store = upstash();
    for (const id of ["x1", "x2", "x3"]) await store.create(record(id, { owner: "bob" }), 60);
    await store.get("x1");
    await admin.del(`${prefix}session:x2`); // as if it had expired: its id is still in the owner set
    const before = bridge.requests.length;
    expect(await store.listByOwner("bob")).toEqual(["x1", "x3"]);

    const commands = bridge.requests.slice(0, before);
    expect(commands.every((r) => r.path === "/" && r.commands.length === 1 && r.base64)).toBe(true);
    expect(bridge.requests.slice(before).map((r) => [r.path, r.commands])).toEqual([
      ["/", ["SMEMBERS"]],
      ["/pipeline", ["EXISTS", "EXISTS", "EXISTS"]],
      ["/", ["SREM"]],
    ]);
  });

  it("returns replies as stored: ids that look like numbers stay strings", async () => {
    const store = upstash();
    for (const id of ["007", "123", "1e3"]) await store.create(record(id, { owner: "n" }), 60);
    expect(await store.listByOwner("n")).toEqual(["007", "123", "1e3"]);
    expect((await store.get("007"))?.id).toBe("007");
  });

  it("loads a script with EVAL when Redis does not know it", async () => {
    const store = upstash();
    await store.create(record("s"), 60);
    await admin.script("FLUSH");
    bridge.requests.length = 0;
    expect(await store.update(record("s", { version: 2 }), { expectVersion: 1 })).toBe("updated");
    expect(bridge.requests.map((r) => r.commands[0])).toEqual(["EVALSHA", "EVAL"]);
    expect(await store.update(record("s", { version: 3 }), { expectVersion: 2 })).toBe("updated");
    expect(bridge.requests.map((r) => r.commands[0])).toEqual(["EVALSHA", "EVAL", "EVALSHA"]);
  });

  it("fails fast with StoreUnavailableError when the endpoint is unreachable, refuses the token, or stalls", async () => {
    const unreachable = upstash({ url: `http://127.0.0.1:${await freePort()}` });
    const wrongToken = upstash({ token: "not-the-token" });
    const stalled = upstash({ commandTimeoutMs: 300 });
    for (const attempt of [
      () => unreachable.get("s"),
      () => unreachable.subscribe("c", listener()),
      () => wrongToken.create(record("s"), 60),
      () => wrongToken.subscribe("c", listener()),
    ]) {
      await expect(attempt()).rejects.toBeInstanceOf(StoreUnavailableError);
    }
    bridge.stall(1500);
    const started = Date.now();
    await expect(stalled.ping()).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(stalled.subscribe("c", listener())).rejects.toBeInstanceOf(StoreUnavailableError);
    expect(Date.now() - started).toBeLessThan(1200);
    await vi.waitFor(() => stalled.ping(), { timeout: 3000, interval: 100 });
    expect(bridge.openStreams()).toEqual([]);
  });
});

describe("UpstashStore subscriptions", () => {
  it("percent-encode the channel name in the subscribe path", async () => {
    const store = upstash();
    const name = "odd name/with?query=1#fragment%";
    const l = listener();
    await store.subscribe(name, l);
    expect(subscribeRequests().map((r) => r.path)).toEqual([
      `/subscribe/${encodeURIComponent(`${prefix}channel:${name}`)}`,
    ]);
    await store.publish(name, "reached");
    await vi.waitFor(() => expect(l.got).toEqual(["reached"]));
  });

  it("hold one HTTP stream per channel, closed after the last registration leaves and on close()", async () => {
    const store = upstash();
    const first = await store.subscribe("c1", listener());
    const second = await store.subscribe("c1", listener());
    await store.subscribe("c2", listener());
    expect(bridge.openStreams().sort()).toEqual([`${prefix}channel:c1`, `${prefix}channel:c2`]);
    await first();
    expect(bridge.openStreams()).toHaveLength(2);
    await second();
    await vi.waitFor(() => expect(bridge.openStreams()).toEqual([`${prefix}channel:c2`]));
    await store.close();
    await vi.waitFor(() => expect(bridge.openStreams()).toEqual([]));
  });

  for (const [how, breakStreams, reported] of [
    ["ends", (b: UpstashBridge) => b.endStreams(), /stream ended/],
    ["is reset", (b: UpstashBridge) => b.killStreams(), /./],
    ["falls silent", (b: UpstashBridge) => b.freezeStreams(), /silent for \d+ ms/],
  ] as const) {
    it(`come back after the stream ${how}, report it once and ask listeners to resync`, async () => {
      const errors: string[] = [];
      const store = upstash({
        heartbeatMs: 200,
        heartbeatTimeoutMs: 200,
        onError: (error, source) => errors.push(`${source}: ${error.message}`),
      });
      const l = listener();
      await store.subscribe("c", l);
      await store.publish("c", "before");
      await vi.waitFor(() => expect(l.got).toEqual(["before"]));

      breakStreams(bridge);
      await vi.waitFor(() => expect(l.resyncs).toBe(1), { timeout: 3000, interval: 20 });
      expect(bridge.openStreams()).toEqual([`${prefix}channel:c`]);
      await store.publish("c", "after");
      await vi.waitFor(() => expect(l.got).toEqual(["before", "after"]));
      expect(errors).toHaveLength(1);
      expect(errors[0]).toMatch(/^subscriber: /);
      expect(errors[0]).toMatch(reported);
    });
  }

  it("keep a quiet, healthy stream: heartbeats come back and never reach a listener", async () => {
    expect(decodeMessage(HEARTBEAT_PAYLOAD)).toBeNull(); // and so every hub, Node's included, skips it
    const store = upstash({ heartbeatMs: 100, heartbeatTimeoutMs: 300 });
    const l = listener();
    await store.subscribe("quiet", l);
    await sleep(900);
    expect(l.got).toEqual([]);
    expect(l.resyncs).toBe(0);
    expect(subscribeRequests()).toHaveLength(1);
    expect(bridge.requests.filter((r) => r.commands[0] === "PUBLISH").length).toBeGreaterThanOrEqual(4);
  });

  it("retry with growing delays while subscribing is refused, then resync", async () => {
    const errors: Error[] = [];
    const store = upstash({ reconnectMinMs: 40, reconnectMaxMs: 2000, onError: (error) => errors.push(error) });
    const l = listener();
    await store.subscribe("c", l);
    bridge.refuseSubscribes(4);
    bridge.endStreams();
    await vi.waitFor(() => expect(l.resyncs).toBe(1), { timeout: 5000, interval: 20 });

    const times = subscribeRequests().map((r) => r.at);
    expect(times).toHaveLength(6); // the first, four refused, the one that worked
    const gaps = times.slice(2).map((t, i) => t - times[i + 1]!);
    for (let i = 1; i < gaps.length; i++) expect(gaps[i]).toBeGreaterThanOrEqual(gaps[i - 1]! - 10);
    expect(gaps.at(-1)).toBeGreaterThanOrEqual(300); // 40 ms doubled four times, at least half of it
    expect(errors).toHaveLength(1);
  });

  it("reject with StoreUnavailableError when the first connection fails, and work on the next try", async () => {
    const store = upstash();
    bridge.refuseSubscribes(1);
    const refused = store.subscribe("c", listener());
    await expect(refused).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(refused).rejects.toThrow(/HTTP 503/);
    const l = listener();
    await store.subscribe("c", l);
    await store.publish("c", "ok");
    await vi.waitFor(() => expect(l.got).toEqual(["ok"]));
    expect(bridge.openStreams()).toHaveLength(1);
  });
});
