/**
 * Streams outlive store loss, on a redis-server of this test's own, without persistence, and real
 * server processes:
 * - Redis restarted empty under 500 open streams: none ends; the session made again reaches all 500.
 * - a lost session that is not made again ends its streams after LOST_SESSION_GRACE_SECONDS.
 * - a delete announced while a server's subscriber is cut off still ends that server's streams,
 *   at the re-check after it reconnects, by the tombstone the delete left.
 */
import { createServer, connect, type Server, type Socket } from "node:net";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readMultipart, type StreamReader } from "./support/multipart.js";
import { freePort, startRedisServer, type RedisProcess } from "./support/redis.js";
import { spawnServer, type ServerProcess } from "./support/server.js";

const VIEWERS = 500;
const GRACE_SECONDS = 4;
const prefix = "loss:";
const json = { "Content-Type": "application/json" };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A TCP proxy to Redis that can cut every connection through it and refuse new ones for a while. */
async function startCuttableProxy(target: number) {
  const sockets = new Set<Socket>();
  let cut = false;
  const server: Server = createServer((client) => {
    if (cut) return void client.destroy();
    const upstream = connect(target, "127.0.0.1");
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on("close", () => sockets.delete(socket));
      socket.on("error", () => {});
    }
    client.pipe(upstream).pipe(client);
    client.on("close", () => upstream.destroy());
    upstream.on("close", () => client.destroy());
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", () => resolve()));
  return {
    url: `redis://127.0.0.1:${port}`,
    cut() {
      cut = true;
      for (const socket of sockets) socket.destroy();
    },
    restore() {
      cut = false;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

async function create(server: ServerProcess, id: string, n: number): Promise<string> {
  const response = await fetch(`${server.url}/api/session`, {
    method: "POST",
    headers: json,
    body: JSON.stringify({ session_id: id, template: "<svg>{{ n }}</svg>", args: { n } }),
  });
  expect(response.status).toBe(201);
  return ((await response.json()) as { write_token: string }).write_token;
}

const open = async (server: ServerProcess, id: string) => readMultipart(await fetch(`${server.url}/stream/${id}`));

/** Resolves once the stream shows `frame` (frames before it, keep-alive resends included, are skipped). */
async function shows(stream: StreamReader, frame: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if ((await stream.next(Math.max(deadline - Date.now(), 1))) === frame) return;
  }
}

/** Whether the stream's body ended (with or without the close delimiter) within `ms`. */
async function endsWithin(stream: StreamReader, ms: number): Promise<boolean> {
  try {
    await stream.ended(ms);
    return true;
  } catch (error) {
    return !String(error).includes("timed out");
  }
}

describe("streams and the loss of the store's data", () => {
  let redis: RedisProcess;
  let admin: Redis;
  let proxy: Awaited<ReturnType<typeof startCuttableProxy>>;
  let direct: ServerProcess;
  let proxied: ServerProcess;
  const streams: StreamReader[] = [];

  beforeAll(async () => {
    redis = await startRedisServer(await freePort());
    admin = new Redis(redis.url, { maxRetriesPerRequest: 1 });
    admin.on("error", () => {});
    proxy = await startCuttableProxy(redis.port);
    const env = { KEY_PREFIX: prefix, KEEP_ALIVE_MS: "60000", RENDER_WORKERS: "1" };
    [direct, proxied] = await Promise.all([
      spawnServer({ ...env, REDIS_URL: redis.url, LOST_SESSION_GRACE_SECONDS: String(GRACE_SECONDS) }),
      // A grace far longer than the test: streams that end were ended by the tombstone, not by it.
      spawnServer({ ...env, REDIS_URL: proxy.url, LOST_SESSION_GRACE_SECONDS: "600" }),
    ]);
  }, 60_000);

  afterAll(async () => {
    for (const stream of streams) stream.close();
    await Promise.all([direct?.stop(), proxied?.stop()]);
    admin?.disconnect();
    await proxy?.close();
    await redis?.stop();
  });

  it("a delete whose end announcement a server missed (its subscriber cut off) ends that server's streams at the re-check", async () => {
    const token = await create(direct, "deleted-unheard", 1);
    const viewers = await Promise.all([1, 2, 3].map(() => open(proxied, "deleted-unheard")));
    streams.push(...viewers);
    for (const viewer of viewers) expect(await viewer.next()).toBe("<svg>1</svg>");

    proxy.cut();
    // Nobody is subscribed to the channel while the delete announces the end: it reaches no one.
    expect(await admin.pubsub("NUMSUB", `${prefix}channel:deleted-unheard`)).toEqual([`${prefix}channel:deleted-unheard`, 0]);
    const deleted = await fetch(`${direct.url}/api/session/deleted-unheard`, { method: "DELETE", headers: { Authorization: `Bearer ${token}` } });
    expect(deleted.status).toBe(204);
    expect(await admin.get(`${prefix}{deleted-unheard}:deleted`)).toMatch(/^\d+$/);
    expect(await admin.ttl(`${prefix}{deleted-unheard}:deleted`)).toBeGreaterThan(590);
    for (const viewer of viewers) expect(await endsWithin(viewer, 500)).toBe(false);

    const restoredAt = Date.now();
    proxy.restore();
    for (const viewer of viewers) {
      await viewer.ended(15_000);
      expect(viewer.frames.at(-1)).toBe("<svg>1</svg>");
    }
    console.log(`store-loss: streams cut off from the delete ended ${Date.now() - restoredAt} ms after the subscriber could reconnect`);
    // Its image URL now says the session ended.
    const image = await fetch(`${proxied.url}/svg/deleted-unheard`, { headers: { "Sec-Fetch-Dest": "image" } });
    expect(image.status).toBe(404);
    expect(await image.text()).toContain("session ended");
  });

  it(`Redis restarted empty under ${VIEWERS} open streams: none ends, and the session made again reaches all of them; a lost session not made again ends after the grace`, async () => {
    await create(direct, "badge", 1);
    await create(direct, "orphan", 1);
    const badge: StreamReader[] = [];
    for (let i = 0; i < VIEWERS; i += 50) {
      badge.push(...(await Promise.all(Array.from({ length: 50 }, () => open(direct, "badge")))));
    }
    const orphan = await Promise.all([1, 2].map(() => open(direct, "orphan")));
    streams.push(...badge, ...orphan);
    await Promise.all([...badge, ...orphan].map((stream) => shows(stream, "<svg>1</svg>", 10_000)));

    const restartedAt = Date.now();
    await redis.restart();
    expect(await admin.dbsize()).toBe(0);
    // The server's subscriber is back (its channels subscribed again), and has re-read them.
    await expect
      .poll(async () => ((await admin.pubsub("NUMSUB", `${prefix}channel:badge`)) as [string, number])[1], { timeout: 10_000, interval: 100 })
      .toBe(1);
    const reconnectedMs = Date.now() - restartedAt;
    await sleep(500);
    const endedEarly = await Promise.all(badge.map((stream) => endsWithin(stream, 10)));
    expect(endedEarly.filter(Boolean).length).toBe(0);

    // Made again: a new incarnation, version 1, with a new token.
    const started = Date.now();
    const token = await create(direct, "badge", 2);
    await Promise.all(badge.map((stream) => shows(stream, "<svg>2</svg>", 10_000)));
    const recreatedMs = Date.now() - started;
    const write = await fetch(`${direct.url}/api/session/badge`, {
      method: "PATCH",
      headers: { ...json, Authorization: `Bearer ${token}` },
      body: JSON.stringify({ args: { n: 3 } }),
    });
    expect(write.status).toBe(200);
    await Promise.all(badge.map((stream) => shows(stream, "<svg>3</svg>", 10_000)));
    console.log(
      `store-loss: ${VIEWERS} streams open through the restart (subscriber back after ${reconnectedMs} ms); ` +
        `all ${VIEWERS} showed the re-created session's frame ${recreatedMs} ms after its POST, and its next write`,
    );

    // The orphan's streams end with their last frame once the grace since the loss is over.
    for (const stream of orphan) {
      await stream.ended(GRACE_SECONDS * 1000 + 10_000);
      expect(stream.frames.at(-1)).toBe("<svg>1</svg>");
    }
    const orphanEndedMs = Date.now() - restartedAt;
    expect(orphanEndedMs).toBeGreaterThanOrEqual(GRACE_SECONDS * 1000);
    console.log(`store-loss: the lost session's streams ended ${orphanEndedMs} ms after the restart (grace ${GRACE_SECONDS} s)`);
    // The grace does not touch the session that came back.
    const badgeEnded = await Promise.all(badge.map((stream) => endsWithin(stream, 10)));
    expect(badgeEnded.filter(Boolean).length).toBe(0);
  });
});
