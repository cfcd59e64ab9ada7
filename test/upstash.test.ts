/**
 * What only the Upstash (HTTP) ports must answer, beyond the shared ports contract: they share one
 * Redis with the ioredis ports, it uses the client the way its header says, and its subscriptions
 * survive streams that end, fail or fall silent. Everything runs against the real redis-server
 * through the Upstash-REST-compatible test bridge.
 */
import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, inject, it, vi } from "vitest";
import { decodeMessage, frameMessage } from "../handlers/streaming/message.js";
import { StoreUnavailableError, type Broker, type SessionRecord, type SessionStore } from "../handlers/index.js";
import { ioredisPorts } from "../runtime/stores/ioredis.js";
import { upstashBroker, upstashStore, type UpstashOptions } from "../runtime/stores/upstash.js";
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
    incarnation: now * 1000 + 7,
    version: 1,
    tokenHash: "cd".repeat(32),
    createdAt: now,
    updatedAt: now,
    expiresAt: now + 60_000,
    ...overrides,
  };
}
const expectOf = (r: SessionRecord) => ({ incarnation: r.incarnation, version: r.version });

/** What a broker hears, per channel it was asked about. */
function listener(broker: Broker) {
  const l = { got: [] as string[], resyncs: 0 };
  broker.listen({
    message: (_channel, payload) => l.got.push(payload),
    resync: () => {
      l.resyncs += 1;
    },
  });
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
  await Promise.all(opened.splice(0).map((each) => each.close()));
  await bridge.close();
  const keys = await admin.keys(`${prefix}*`);
  if (keys.length > 0) await admin.del(...keys);
});

function upstash(options: Partial<UpstashOptions> = {}): { store: SessionStore; broker: Broker } {
  const settings = { url: bridge.url, token: bridge.token, prefix, ...options };
  const store = upstashStore(settings);
  const broker = upstashBroker(settings);
  opened.push(store, broker);
  return { store, broker };
}

/** A raw publish on a session's channel, as any replica's store announces. */
const publish = (channel: string, payload: string) => admin.publish(`${prefix}channel:${channel}`, payload);

const subscribeRequests = () => bridge.requests.filter((r) => r.path.startsWith("/subscribe/"));

describe("the Upstash ports and the ioredis ports on one Redis", () => {
  it("see each other's sessions, versions and announcements, both ways", async () => {
    const edge = upstash();
    const node = ioredisPorts({ url: redisUrl, prefix });
    opened.push(node.store, node.broker);
    await node.broker.connect();
    const onEdge = listener(edge.broker);
    const onNode = listener(node.broker);
    await edge.broker.subscribe("a");
    await node.broker.subscribe("a");

    const a = record("a");
    expect(await edge.store.create(a, 60, frameMessage(a))).toBe(true);
    expect(JSON.parse((await admin.get(`${prefix}{a}:session`))!)).toEqual(await node.store.get("a"));
    expect(await node.store.get("a")).toEqual(await edge.store.get("a"));
    expect(await node.store.create(a, 60, "x")).toBe(false);

    const a2 = { ...a, version: 2 };
    expect(await node.store.commit(a2, { expect: expectOf(a) }, '{"from":"node"}')).toBe("committed");
    expect((await edge.store.get("a"))?.version).toBe(2);
    const a3 = { ...a, version: 3 };
    expect(await edge.store.commit(a3, { expect: expectOf(a) }, "stale")).toBe("conflict");
    expect(await edge.store.commit(a3, { expect: expectOf(a2) }, '{"from":"edge, with commas"}')).toBe("committed");
    expect((await node.store.get("a"))?.version).toBe(3);
    expect(await edge.store.delete("a", a.incarnation, "end")).toBe(true);
    expect(await node.store.get("a")).toBeNull();

    const heard = [frameMessage(a), '{"from":"node"}', '{"from":"edge, with commas"}', "end"];
    for (const l of [onEdge, onNode]) await vi.waitFor(() => expect(l.got).toEqual(heard));
  });
});

describe("the Upstash store's use of the client", () => {
  it("sends one command per request, with base64 replies", async () => {
    const { store } = upstash();
    for (const id of ["x1", "x2"]) await store.create(record(id), 60, "c");
    await store.get("x1");
    await store.commit(record("x1", { version: 2 }), { expect: expectOf(record("x1")) }, "n");
    expect(bridge.requests.length).toBeGreaterThan(0);
    expect(bridge.requests.every((r) => r.path === "/" && r.commands.length === 1 && r.base64)).toBe(true);
  });

  it("returns replies as stored: ids that look like numbers stay strings", async () => {
    const { store } = upstash();
    for (const id of ["007", "123", "1e3"]) await store.create(record(id), 60, "c");
    expect((await store.get("007"))?.id).toBe("007");
    expect((await store.get("1e3"))?.id).toBe("1e3");
  });

  it("loads a script with EVAL when Redis does not know it", async () => {
    const { store } = upstash();
    const s = record("s");
    await store.create(s, 60, "c");
    await admin.script("FLUSH");
    bridge.requests.length = 0;
    expect(await store.commit({ ...s, version: 2 }, { expect: expectOf(s) }, "n")).toBe("committed");
    expect(bridge.requests.map((r) => r.commands[0])).toEqual(["EVALSHA", "EVAL"]);
    expect(await store.commit({ ...s, version: 3 }, { expect: { ...expectOf(s), version: 2 } }, "n")).toBe("committed");
    expect(bridge.requests.map((r) => r.commands[0])).toEqual(["EVALSHA", "EVAL", "EVALSHA"]);
  });

  it("fails fast with StoreUnavailableError when the endpoint is unreachable, refuses the token, or stalls", async () => {
    const unreachable = upstash({ url: `http://127.0.0.1:${await freePort()}` });
    const wrongToken = upstash({ token: "not-the-token" });
    const stalled = upstash({ commandTimeoutMs: 300 });
    for (const attempt of [
      () => unreachable.store.get("s"),
      () => unreachable.broker.subscribe("c"),
      () => wrongToken.store.create(record("s"), 60, "c"),
      () => wrongToken.broker.subscribe("c"),
    ]) {
      await expect(attempt()).rejects.toBeInstanceOf(StoreUnavailableError);
    }
    bridge.stall(1500);
    const started = Date.now();
    await expect(stalled.store.ping()).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(stalled.broker.subscribe("c")).rejects.toBeInstanceOf(StoreUnavailableError);
    expect(Date.now() - started).toBeLessThan(1200);
    await vi.waitFor(() => stalled.store.ping(), { timeout: 3000, interval: 100 });
    expect(bridge.openStreams()).toEqual([]);
  });
});

describe("the Upstash broker's subscriptions", () => {
  it("percent-encode the channel name in the subscribe path", async () => {
    const { broker } = upstash();
    const name = "odd name/with?query=1#fragment%";
    const l = listener(broker);
    await broker.subscribe(name);
    expect(subscribeRequests().map((r) => r.path)).toEqual([`/subscribe/${encodeURIComponent(`${prefix}channel:${name}`)}`]);
    await publish(name, "reached");
    await vi.waitFor(() => expect(l.got).toEqual(["reached"]));
  });

  it("hold one HTTP stream per channel however often it is subscribed, closed on unsubscribe and on close()", async () => {
    const { broker } = upstash();
    await broker.subscribe("c1");
    await broker.subscribe("c1");
    await broker.subscribe("c2");
    expect(bridge.openStreams().sort()).toEqual([`${prefix}channel:c1`, `${prefix}channel:c2`]);
    await broker.unsubscribe("c1");
    await vi.waitFor(() => expect(bridge.openStreams()).toEqual([`${prefix}channel:c2`]));
    await broker.close();
    await vi.waitFor(() => expect(bridge.openStreams()).toEqual([]));
  });

  for (const [how, breakStreams, reported] of [
    ["ends", (b: UpstashBridge) => b.endStreams(), /stream ended/],
    ["is reset", (b: UpstashBridge) => b.killStreams(), /./],
    ["falls silent", (b: UpstashBridge) => b.freezeStreams(), /silent for \d+ ms/],
  ] as const) {
    it(`come back after the stream ${how}, report it once and ask for a resync of the channel`, async () => {
      const errors: string[] = [];
      const { broker } = upstash({ heartbeatMs: 200, heartbeatTimeoutMs: 200, onError: (error) => errors.push(error.message) });
      const resynced: Array<string | undefined> = [];
      const got: string[] = [];
      broker.listen({ message: (_c, payload) => got.push(payload), resync: (channel) => resynced.push(channel) });
      await broker.subscribe("c");
      await publish("c", "before");
      await vi.waitFor(() => expect(got).toEqual(["before"]));

      breakStreams(bridge);
      await vi.waitFor(() => expect(resynced).toEqual(["c"]), { timeout: 3000, interval: 20 });
      expect(bridge.openStreams()).toEqual([`${prefix}channel:c`]);
      await publish("c", "after");
      await vi.waitFor(() => expect(got).toEqual(["before", "after"]));
      expect(errors).toHaveLength(1);
      expect(errors[0]).toMatch(reported);
    });
  }

  it("keep a quiet, healthy stream: heartbeats come back and never reach a listener", async () => {
    expect(decodeMessage(HEARTBEAT_PAYLOAD)).toBeNull(); // and so every hub, Node's included, skips it
    const { broker } = upstash({ heartbeatMs: 100, heartbeatTimeoutMs: 300 });
    const l = listener(broker);
    await broker.subscribe("quiet");
    await sleep(900);
    expect(l.got).toEqual([]);
    expect(l.resyncs).toBe(0);
    expect(subscribeRequests()).toHaveLength(1);
    expect(bridge.requests.filter((r) => r.commands[0] === "PUBLISH").length).toBeGreaterThanOrEqual(4);
  });

  it("retry with growing delays while subscribing is refused, then resync", async () => {
    const errors: Error[] = [];
    const { broker } = upstash({ reconnectMinMs: 40, reconnectMaxMs: 2000, onError: (error) => errors.push(error) });
    const l = listener(broker);
    await broker.subscribe("c");
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
    const { broker } = upstash();
    bridge.refuseSubscribes(1);
    const refused = broker.subscribe("c");
    await expect(refused).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(refused).rejects.toThrow(/HTTP 503/);
    const l = listener(broker);
    await broker.subscribe("c");
    await publish("c", "ok");
    await vi.waitFor(() => expect(l.got).toEqual(["ok"]));
    expect(bridge.openStreams()).toHaveLength(1);
  });
});
