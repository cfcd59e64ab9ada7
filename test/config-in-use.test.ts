import { afterAll, describe, expect, it } from "vitest";
import { memoryPorts } from "../runtime/stores/memory.js";
import { startRedisServer, type RedisProcess } from "./support/redis.js";
import { spawnServer, startInProcess, type ServerProcess } from "./support/server.js";

const post = (base: string, body: unknown) =>
  fetch(`${base}/api/session`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });

describe("configured limits are the ones enforced", () => {
  it("applies MAX_BODY_BYTES, MAX_TEMPLATE_BYTES, MAX_ARGS_BYTES, MAX_EXPIRE, DEFAULT_EXPIRE and RENDER_TIMEOUT_MS", async () => {
    const server = await startInProcess(memoryPorts(), {
      MAX_BODY_BYTES: "4096",
      MAX_TEMPLATE_BYTES: "1024",
      MAX_ARGS_BYTES: "100",
      DEFAULT_EXPIRE: "10m",
      MAX_EXPIRE: "1h",
      RENDER_TIMEOUT_MS: "20",
    });
    try {
      const base = server.url;
      const expectError = async (body: unknown, status: number, code: string) => {
        const response = await post(base, body);
        expect(response.status).toBe(status);
        expect(await response.json()).toMatchObject({ code });
      };
      await expectError({ session_id: "a", template: "<svg/>", args: { x: "y".repeat(5000) } }, 413, "payload_too_large");
      await expectError({ session_id: "a", template: `<svg>${"x".repeat(1100)}</svg>` }, 400, "template_too_large");
      await expectError({ session_id: "a", template: "<svg/>", args: { x: "y".repeat(120) } }, 400, "args_too_large");
      await expectError({ session_id: "a", template: "<svg/>", expire: "2h" }, 400, "invalid_expire");
      const slow = "{% for i in (1..3000) %}{% for j in (1..3000) %}{{ j }}{% endfor %}{% endfor %}";
      const started = performance.now();
      await expectError({ session_id: "a", template: slow }, 400, "render_limit_exceeded");
      expect(performance.now() - started).toBeLessThan(1_000);

      const created = await post(base, { session_id: "a", template: "<svg/>" });
      expect(created.status).toBe(201);
      const { expires_at } = (await created.json()) as { expires_at: string };
      expect(Math.abs(Date.parse(expires_at) - Date.now() - 600_000)).toBeLessThan(5_000);
    } finally {
      await server.shutdown();
    }
  });
});

describe("Redis with a password, configured the Kubernetes way", () => {
  let redis: RedisProcess;
  let server: ServerProcess | undefined;
  afterAll(async () => {
    await server?.stop();
    await redis?.stop();
  });

  it("connects with REDIS_HOST, REDIS_PORT and REDIS_PASSWORD, and not without the password", async () => {
    redis = await startRedisServer(undefined, { password: "s3cret-redis" });
    const without = await spawnServer({ REDIS_HOST: "127.0.0.1", REDIS_PORT: String(redis.port), READY_TIMEOUT_MS: "300" });
    try {
      expect((await fetch(`${without.url}/ready`)).status).toBe(503);
    } finally {
      await without.stop();
    }
    server = await spawnServer({ REDIS_HOST: "127.0.0.1", REDIS_PORT: String(redis.port), REDIS_PASSWORD: "s3cret-redis" });
    expect(await (await fetch(`${server.url}/ready`)).json()).toEqual({ status: "ready", store: "redis" });
    expect((await post(server.url, { session_id: "with-password", template: "<svg/>" })).status).toBe(201);
    expect(server.logs.join("\n")).not.toContain("s3cret-redis");
  });
});
