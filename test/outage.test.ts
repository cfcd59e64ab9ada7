import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort, startRedisServer, type RedisProcess } from "./support/redis.js";
import { spawnServer, type ServerProcess } from "./support/server.js";

const json = { "Content-Type": "application/json" };
const create = (server: ServerProcess, id: string) =>
  fetch(`${server.url}/api/session`, {
    method: "POST",
    headers: json,
    body: JSON.stringify({ session_id: id, template: "<svg>{{ n }}</svg>", args: { n: 1 } }),
  });

/** A server whose redis-server goes away and comes back. */
describe("when Redis is down", () => {
  let port: number;
  let redis: RedisProcess | undefined;
  let server: ServerProcess;

  beforeAll(async () => {
    port = await freePort();
    // The server starts before Redis exists: it must come up anyway and report not ready.
    server = await spawnServer({ REDIS_URL: `redis://127.0.0.1:${port}`, READY_TIMEOUT_MS: "500" });
  });
  afterAll(async () => {
    await server?.stop();
    await redis?.stop();
  });

  it("the process is alive, /ready is 503 and writes are 503 JSON", async () => {
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
    const ready = await fetch(`${server.url}/ready`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({ status: "unavailable", reason: expect.stringContaining("redis") });
    const started = performance.now();
    const write = await create(server, "during-outage");
    expect(write.status).toBe(503);
    expect(await write.json()).toMatchObject({ code: "store_unavailable", error: expect.any(String) });
    expect(performance.now() - started).toBeLessThan(3_000);
    for (const path of ["/svg/any", "/stream/any", "/api/session/any"]) {
      const read = await fetch(`${server.url}${path}`);
      expect(read.status).toBe(503);
      expect(await read.json()).toMatchObject({ code: "store_unavailable" });
    }
  });

  it("recovers by itself when Redis comes up, and fails again when it goes away", async () => {
    redis = await startRedisServer(port);
    await expect
      .poll(async () => (await fetch(`${server.url}/ready`)).status, { timeout: 10_000, interval: 200 })
      .toBe(200);
    expect((await create(server, "after-recovery")).status).toBe(201);

    await redis.stop();
    await expect
      .poll(async () => (await fetch(`${server.url}/ready`)).status, { timeout: 10_000, interval: 200 })
      .toBe(503);
    expect((await create(server, "second-outage")).status).toBe(503);
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
    expect(server.process.exitCode).toBeNull();
  });
});
