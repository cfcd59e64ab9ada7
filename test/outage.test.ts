import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort, startRedisServer, type RedisProcess } from "./support/redis.js";
import { logLines, spawnServer, type ServerProcess } from "./support/server.js";

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

describe("the log of a Redis connection", () => {
  let redis: RedisProcess | undefined;
  let server: ServerProcess | undefined;
  afterAll(async () => {
    await server?.stop();
    await redis?.stop();
  });

  it("tells each connection's loss once, with its address, then its return once; a failed request is one line", async () => {
    const port = await freePort();
    redis = await startRedisServer(port);
    server = await spawnServer({ REDIS_URL: `redis://127.0.0.1:${port}` });
    expect((await create(server, "logged")).status).toBe(201);
    await redis.stop();
    await new Promise((resolve) => setTimeout(resolve, 2_000)); // several reconnect attempts
    expect((await create(server, "refused")).status).toBe(503);
    redis = await startRedisServer(port);
    await expect.poll(async () => (await fetch(`${server!.url}/ready`)).status, { timeout: 10_000, interval: 200 }).toBe(200);
    await expect
      .poll(() => logLines(server!).filter((line) => line["msg"] === "redis connection re-established").length, { timeout: 10_000 })
      .toBe(2);

    const lines = logLines(server);
    const lost = lines.filter((line) => line["msg"] === "redis connection lost; reconnecting");
    expect(lost.map((line) => line["connection"]).sort()).toEqual(["command", "subscriber"]);
    expect(lost.every((line) => line["address"] === `127.0.0.1:${port}` && line["level"] === 40)).toBe(true);
    const failed = lines.filter((line) => String(line["msg"]).startsWith("request failed"));
    expect(failed).toHaveLength(1);
    // One line, and the reason in it once: no cause chain repeating the same message.
    const text = JSON.stringify(failed[0]);
    const reason = String(failed[0]!["reason"]);
    expect(reason).toMatch(/^redis EVALSHA failed: /);
    expect(text.split(reason.slice("redis EVALSHA failed: ".length)).length - 1).toBe(1);
  });

  it("tells a wrong password as an authentication failure, once per connection, without the password", async () => {
    await server?.stop();
    await redis?.stop();
    redis = await startRedisServer(undefined, { password: "the-right-one" });
    server = await spawnServer({ REDIS_HOST: "127.0.0.1", REDIS_PORT: String(redis.port), REDIS_PASSWORD: "a-wrong-one" });
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    const failures = logLines(server).filter((line) => line["msg"] === "redis authentication failed; check REDIS_PASSWORD or the URL's credentials");
    expect(failures.map((line) => line["connection"]).sort()).toEqual(["command", "subscriber"]);
    expect(server.logs.join("\n")).not.toContain("a-wrong-one");
  });
});
