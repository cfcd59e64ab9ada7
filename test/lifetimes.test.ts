/**
 * Lifetimes that fit badges, on every store and host: `"expire": "never"` where MAX_EXPIRE=never
 * allows it (no TTL in Redis), refused with the message it always had elsewhere; and a session
 * created with `"renew": true`, written every second, outlives its 3 s lifetime while a session
 * without it expires. Memory and Redis on the Node host (in this process), and the edge bundle in
 * workerd (miniflare) over the Upstash bridge; the three run at the same time.
 */
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import type { Miniflare } from "miniflare";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { RunningServer } from "../runtime/node/server.js";
import { ioredisPorts } from "../runtime/stores/ioredis.js";
import { memoryPorts } from "../runtime/stores/memory.js";
import { buildEdge, startEdgeWorker } from "./support/edge.js";
import { readMultipart } from "./support/multipart.js";
import { startInProcess } from "./support/server.js";
import { startUpstashBridge, type UpstashBridge } from "./support/upstash-bridge.js";

const template = "<svg>{{ n }}</svg>";
const LIFETIME = 3;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));


const json = { "Content-Type": "application/json" };
async function create(base: string, body: Record<string, unknown>) {
  const response = await fetch(`${base}/api/session`, { method: "POST", headers: json, body: JSON.stringify({ template, args: { n: 0 }, ...body }) });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}
async function patch(base: string, id: string, token: string, body: Record<string, unknown>) {
  const response = await fetch(`${base}/api/session/${id}`, {
    method: "PATCH",
    headers: { ...json, Authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}
const read = async (base: string, id: string) => {
  const response = await fetch(`${base}/api/session/${id}`);
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
};

interface Host {
  base: string;
  /** Redis's own remaining TTL of a session key, where there is a Redis. */
  pttl?: (id: string) => Promise<number>;
}

/** Created with a 3 s lifetime and renew, written every second for 5 s: still there, still streaming; the control is gone. */
async function outlivesItsLifetime(host: Host) {
  const tag = randomBytes(4).toString("hex");
  const [renewing, control] = await Promise.all([
    create(host.base, { session_id: `renewing-${tag}`, expire: LIFETIME, renew: true }),
    create(host.base, { session_id: `control-${tag}`, expire: LIFETIME }),
  ]);
  expect(renewing.status).toBe(201);
  expect(renewing.body).toMatchObject({ renew: true });
  expect(control.status).toBe(201);
  const streams = await Promise.all([`renewing-${tag}`, `control-${tag}`].map(async (id) => readMultipart(await fetch(`${host.base}/stream/${id}`))));
  for (const stream of streams) expect(await stream.next()).toBe("<svg>0</svg>");

  const started = Date.now();
  let last = renewing.body;
  for (let n = 1; n <= 5; n++) {
    await sleep(1_000);
    // No renew in the write: the stored choice applies.
    const written = await patch(host.base, `renewing-${tag}`, String(renewing.body["write_token"]), { args: { n } });
    expect(written.status).toBe(200);
    expect(written.body).toMatchObject({ renew: true, expire: LIFETIME });
    const left = Date.parse(String(written.body["expires_at"])) - Date.now();
    expect(left).toBeGreaterThan((LIFETIME - 1) * 1000);
    expect(left).toBeLessThanOrEqual(LIFETIME * 1000 + 500);
    if (host.pttl) expect(await host.pttl(`renewing-${tag}`)).toBeGreaterThan((LIFETIME - 1) * 1000);
    last = written.body;
  }
  expect(Date.now() - started).toBeGreaterThan(LIFETIME * 1000 + 1_000);

  expect((await read(host.base, `renewing-${tag}`)).status).toBe(200);
  expect((await read(host.base, `control-${tag}`)).status).toBe(404);
  await streams[1]!.ended(3_000);
  let frame = await streams[0]!.next(3_000);
  while (frame !== "<svg>5</svg>") frame = await streams[0]!.next(3_000);

  // renew: false stops renewing: this write keeps the expiry the last one set.
  const stopped = await patch(host.base, `renewing-${tag}`, String(renewing.body["write_token"]), { args: { n: 6 }, renew: false });
  expect(stopped.body).toMatchObject({ renew: false, expires_at: last["expires_at"] });
  for (const stream of streams) stream.close();
}

/** MAX_EXPIRE=never: accepted, stored without a TTL, shown as expires_at null. */
async function keepsForever(host: Host) {
  const id = `forever-${randomBytes(4).toString("hex")}`;
  const created = await create(host.base, { session_id: id, expire: "never" });
  expect(created.status).toBe(201);
  expect(created.body).toMatchObject({ expires_at: null, renew: false });
  if (host.pttl) expect(await host.pttl(id)).toBe(-1);
  const view = await read(host.base, id);
  expect(view.body).toMatchObject({ expires_at: null, expire: "never", renew: false });
  // A later write with a lifetime gives it one; "never" again takes it away.
  const timed = await patch(host.base, id, String(created.body["write_token"]), { expire: "1h" });
  expect(Date.parse(String(timed.body["expires_at"])) - Date.now()).toBeGreaterThan(3_590_000);
  if (host.pttl) expect(await host.pttl(id)).toBeGreaterThan(3_590_000);
  const again = await patch(host.base, id, String(created.body["write_token"]), { expire: "never" });
  expect(again.body).toMatchObject({ expires_at: null, expire: "never" });
  if (host.pttl) expect(await host.pttl(id)).toBe(-1);
}

describe.concurrent("session lifetimes", () => {
  const redisUrl = inject("redisUrl");
  const prefix = `life-${randomBytes(4).toString("hex")}:`;
  const admin = new Redis(redisUrl);
  const pttl = (id: string) => admin.pttl(`${prefix}{${id}}:session`);
  let memory: RunningServer;
  let redis: RunningServer;
  let bridge: UpstashBridge;
  let worker: Miniflare;
  let edge: string;
  let edgeDir: string;

  beforeAll(async () => {
    const env = { RENDER_WORKERS: "1", KEEP_ALIVE_MS: "60000" };
    edgeDir = await mkdtemp(join(tmpdir(), "rsvg-edge-lifetimes-"));
    [memory, redis, bridge] = await Promise.all([
      startInProcess(memoryPorts(), env),
      startInProcess(ioredisPorts({ url: redisUrl, prefix }), { ...env, MAX_EXPIRE: "never" }),
      startUpstashBridge(redisUrl),
      buildEdge(edgeDir),
    ]);
    ({ worker, origin: edge } = await startEdgeWorker(edgeDir, {
      UPSTASH_REDIS_REST_URL: bridge.url,
      UPSTASH_REDIS_REST_TOKEN: bridge.token,
      KEY_PREFIX: prefix,
      MAX_EXPIRE: "never",
      KEEP_ALIVE_MS: "60000",
    }));
  }, 60_000);

  afterAll(async () => {
    await Promise.all([worker?.dispose(), memory?.shutdown(), redis?.shutdown(), bridge?.close()]);
    if (edgeDir) await rm(edgeDir, { recursive: true, force: true });
    const keys = await admin.keys(`${prefix}*`);
    if (keys.length > 0) await admin.del(...keys);
    await admin.quit();
  });

  it("a renewing session outlives its lifetime: memory store", async () => {
    await outlivesItsLifetime({ base: memory.url });
  });

  it("a renewing session outlives its lifetime: Redis store (the commit script re-applies the TTL)", async () => {
    await outlivesItsLifetime({ base: redis.url, pttl });
  });

  it("a renewing session outlives its lifetime: edge host on Upstash", async () => {
    await outlivesItsLifetime({ base: edge, pttl });
  });

  it('"expire": "never" with MAX_EXPIRE=never: Redis store, no TTL', async () => {
    await keepsForever({ base: redis.url, pttl });
  });

  it('"expire": "never" with MAX_EXPIRE=never: edge host, no TTL', async () => {
    await keepsForever({ base: edge, pttl });
  });

  it('"expire": "never" is refused with the message it always had when MAX_EXPIRE is a duration', async () => {
    const refused = await create(memory.url, { session_id: "not-forever", expire: "never" });
    expect(refused).toEqual({
      status: 400,
      body: { code: "invalid_expire", error: 'expire must be a positive number of seconds or a duration such as "90s", "15m", "2h", "1d"' },
    });
    const made = await create(memory.url, { session_id: "not-forever-either" });
    const written = await patch(memory.url, "not-forever-either", String(made.body["write_token"]), { expire: "never" });
    expect(written.status).toBe(400);
    expect(written.body["code"]).toBe("invalid_expire");
  });
});
