import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { frameMessage } from "../handlers/streaming/message.js";
import { ioredisPorts } from "../runtime/stores/ioredis.js";
import { readMultipart, type StreamReader } from "./support/multipart.js";
import { freePort, startRedisServer, type RedisProcess } from "./support/redis.js";
import { spawnServer, type ServerProcess } from "./support/server.js";

/** redis-server is killed and started again (same port, same data) under open streams. */
describe("open streams across a Redis restart", () => {
  const dataDir = mkdtempSync(join(tmpdir(), "rsvg-redis-"));
  const prefix = "restart:";
  let port: number;
  let redis: RedisProcess;
  let server: ServerProcess;
  let streams: StreamReader[];
  let token: string;

  beforeAll(async () => {
    port = await freePort();
    redis = await startRedisServer(port, { dataDir });
    server = await spawnServer({ REDIS_URL: redis.url, KEY_PREFIX: prefix });
  });
  afterAll(async () => {
    for (const stream of streams ?? []) stream.close();
    await server?.stop();
    await redis?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const patch = (n: number) =>
    fetch(`${server.url}/api/session/survivor`, {
      method: "PATCH",
      headers: { "Content-Type": "application/json", Authorization: `Bearer ${token}` },
      body: JSON.stringify({ args: { n } }),
    });

  it("stay open, get the frame written while they were cut off, and every later update", async () => {
    const created = await fetch(`${server.url}/api/session`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ session_id: "survivor", template: "<svg>{{ n }}</svg>", args: { n: 0 } }),
    });
    token = ((await created.json()) as { write_token: string }).write_token;
    streams = await Promise.all([1, 2].map(async () => readMultipart(await fetch(`${server.url}/stream/survivor`))));
    for (const stream of streams) expect(await stream.next()).toBe("<svg>0</svg>");

    await redis.stop();
    // Long enough for the client's reconnect backoff to grow, so the write below lands first.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    expect((await patch(1)).status).toBe(503);
    redis = await startRedisServer(port, { dataDir });

    // Another replica writes right away; this process's subscriber is probably not back yet,
    // so the publish is lost to it and only the re-read after resubscribing can deliver it.
    const other = ioredisPorts({ url: redis.url, prefix });
    await other.store.connect?.();
    const record = (await other.store.get("survivor"))!;
    expect(record.frame).toBe("<svg>0</svg>");
    const next = { ...record, version: record.version + 1, args: { n: 2 }, frame: "<svg>2</svg>", updatedAt: Date.now() };
    const expect_ = { incarnation: record.incarnation, version: record.version };
    expect(await other.store.commit(next, { expect: expect_ }, frameMessage(next))).toBe("committed");
    await Promise.all([other.store.close(), other.broker.close()]);

    for (const stream of streams) expect(await stream.next(10_000)).toBe("<svg>2</svg>");
    await expect.poll(async () => (await patch(3)).status, { timeout: 10_000, interval: 250 }).toBe(200);
    for (const stream of streams) {
      let frame = await stream.next(5_000);
      while (frame !== "<svg>3</svg>") frame = await stream.next(5_000);
    }
  });
});
