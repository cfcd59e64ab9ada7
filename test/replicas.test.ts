import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { readMultipart } from "./support/multipart.js";
import { spawnServer, type ServerProcess } from "./support/server.js";

/** Two real server processes sharing one redis-server, configured the two supported ways. */
describe("two replicas sharing one Redis", () => {
  let a: ServerProcess;
  let b: ServerProcess;

  beforeAll(async () => {
    const redis = new URL(inject("redisUrl"));
    const prefix = `test-replicas-${crypto.randomUUID()}:`;
    [a, b] = await Promise.all([
      spawnServer({ REDIS_URL: redis.href, KEY_PREFIX: prefix }),
      spawnServer({ REDIS_HOST: redis.hostname, REDIS_PORT: redis.port || "6379", KEY_PREFIX: prefix }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
  });

  it("both use the Redis store and are ready", async () => {
    for (const replica of [a, b]) {
      const ready = await fetch(`${replica.url}/ready`);
      expect(ready.status).toBe(200);
      expect(await ready.json()).toEqual({ status: "ready", store: "redis" });
    }
  });

  it("stream from both the frames written on either", async () => {
    const template = '<svg xmlns="http://www.w3.org/2000/svg"><text>{{ n }}</text></svg>';
    const created = await fetch(`${a.url}/api/session`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ session_id: "replicated", template, args: { n: 0 } }),
    });
    expect(created.status).toBe(201);
    const { write_token: token } = (await created.json()) as { write_token: string };

    const streams = await Promise.all([a, b].map(async (replica) => readMultipart(await fetch(`${replica.url}/stream/replicated`))));
    for (const stream of streams) expect(await stream.next(2_000)).toBe("<svg xmlns=\"http://www.w3.org/2000/svg\"><text>0</text></svg>");

    // Timings are printed; the bound is on the median so a loaded CI machine's one slow tick does not flake.
    const delays: number[] = [];
    let n = 0;
    for (const writer of [b, a, b, a, b]) {
      n++;
      const update = await fetch(`${writer.url}/api/session/replicated`, {
        method: "PUT",
        headers: { "Content-Type": "application/json", Authorization: `Bearer ${token}` },
        body: JSON.stringify({ args: { n } }),
      });
      expect(update.status).toBe(200);
      const answered = performance.now();
      for (const stream of streams) expect(await stream.next(2_000)).toContain(`<text>${n}</text>`);
      delays.push(performance.now() - answered);
    }
    console.log(`updates reached both replicas' streams ${delays.map((ms) => ms.toFixed(1)).join(", ")} ms after each write answered`);
    expect(delays.sort((x, y) => x - y)[Math.floor(delays.length / 2)]).toBeLessThan(100);
    expect(Math.max(...delays)).toBeLessThan(1_000);

    const deleted = await fetch(`${b.url}/api/session/replicated`, { method: "DELETE", headers: { Authorization: `Bearer ${token}` } });
    expect(deleted.status).toBe(204);
    for (const stream of streams) await stream.ended(2_000);
  });
});
