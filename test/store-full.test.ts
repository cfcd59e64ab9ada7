/**
 * A full store refuses writes with 507 store_full and harms nothing already stored; it is no
 * outage, so /ready stays 200 and reads and streams go on. The memory store is capped by
 * MEMORY_MAX_BYTES / MEMORY_MAX_SESSIONS; Redis is made full for real, by a private redis-server
 * at `maxmemory 2mb` with `noeviction`, reached over TCP (ioredis) and over HTTP (Upstash REST).
 */
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AppError, StoreUnavailableError, type SessionRecord, type SessionStore } from "../handlers/index.js";
import { frameMessage } from "../handlers/streaming/message.js";
import { ioredisPorts } from "../runtime/stores/ioredis.js";
import { upstashStore } from "../runtime/stores/upstash.js";
import { readMultipart } from "./support/multipart.js";
import { startRedisServer, type RedisProcess } from "./support/redis.js";
import { spawnServer, type ServerProcess } from "./support/server.js";
import { startUpstashBridge, type UpstashBridge } from "./support/upstash-bridge.js";

const json = { "Content-Type": "application/json" };
const TEMPLATE = "<svg>{{ a }}</svg>";

function record(id: string, pad: number, version = 1): SessionRecord {
  const now = Date.now();
  return {
    id,
    template: TEMPLATE,
    args: { a: "x".repeat(pad) },
    frame: `<svg>${"x".repeat(pad)}</svg>`,
    incarnation: now * 1000 + 1,
    version,
    tokenHash: "ab".repeat(32),
    createdAt: now,
    updatedAt: now,
    expiresAt: now + 600_000,
  };
}

const post = (base: string, body: unknown) => fetch(`${base}/api/session`, { method: "POST", headers: json, body: JSON.stringify(body) });
const metric = async (base: string, name: string) => {
  const text = await (await fetch(`${base}/metrics`)).text();
  return Number(new RegExp(`^${name} (\\S+)$`, "m").exec(text)?.[1] ?? NaN);
};

/** Runs `count` tasks, `concurrency` at a time. */
async function pool<T>(count: number, concurrency: number, task: (i: number) => Promise<T>): Promise<T[]> {
  const results: T[] = new Array(count);
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let i = next++; i < count; i = next++) results[i] = await task(i);
    }),
  );
  return results;
}

describe("a full Redis (maxmemory 2mb, noeviction)", () => {
  let redis: RedisProcess;
  let admin: Redis;
  let bridge: UpstashBridge;

  beforeAll(async () => {
    redis = await startRedisServer();
    admin = new Redis(redis.url);
    await admin.config("SET", "maxmemory", "2mb");
    await admin.config("SET", "maxmemory-policy", "noeviction");
    bridge = await startUpstashBridge(redis.url);
  });
  afterAll(async () => {
    await bridge?.close();
    await admin?.quit();
    await redis?.stop();
  });

  /** Creates 20 KB records under `prefix` until Redis refuses one; returns the stored ones and the refusal. */
  async function fill(store: SessionStore, prefix: string) {
    const stored: SessionRecord[] = [];
    for (let i = 0; i < 500; i++) {
      const r = record(`${prefix}${i}`, 10_000);
      try {
        await store.create(r, 600, frameMessage(r));
        stored.push(r);
      } catch (error) {
        return { stored, error };
      }
    }
    throw new Error("Redis never became full");
  }

  it.each([
    ["ioredis", () => ioredisPorts({ url: redis.url, prefix: "tcp:" }).store],
    ["upstash", () => upstashStore({ url: bridge.url, token: bridge.token, prefix: "http:" })],
  ])("over %s: an OOM reply is store_full (507), not an outage, and harms nothing stored", async (_name, open) => {
    await admin.flushall();
    const store = open();
    await store.connect?.();
    try {
      const { stored, error } = await fill(store, "s");
      expect(stored.length).toBeGreaterThan(0);
      expect(error).toBeInstanceOf(AppError);
      expect(error).not.toBeInstanceOf(StoreUnavailableError);
      expect(error).toMatchObject({ status: 507, code: "store_full", message: expect.stringMatching(/store is full: .*OOM command not allowed/) });

      // Nothing stored is harmed: every record reads back as written, and the refused one is absent.
      for (const r of stored) expect(await store.get(r.id)).toEqual(r);
      expect(await store.get(`s${stored.length}`)).toBeNull();
      // A commit that grows a record is refused the same way and leaves the record as it was.
      // (Redis checks memory before running a command, its arguments included: a large one is
      // refused for sure, where one the size of the record may find memory just freed.)
      const first = stored[0]!;
      const grown = { ...record(first.id, 300_000, 2), incarnation: first.incarnation };
      await expect(store.commit(grown, { expect: { incarnation: first.incarnation, version: 1 } }, "n")).rejects.toMatchObject({
        code: "store_full",
      });
      expect(await store.get(first.id)).toEqual(first);
      // Pings (what /ready asks) and deletes still work, and a delete makes room.
      await expect(store.ping()).resolves.toBeUndefined();
      for (const r of stored) expect(await store.delete(r.id, r.incarnation, "end")).toBe(true);
      // Redis shrinks the large command's query buffer in its once-a-second client cron.
      const again = record("after-delete", 100);
      await expect.poll(() => store.create(again, 600, frameMessage(again)).catch(() => false), { timeout: 5_000, interval: 100 }).toBe(true);
    } finally {
      await store.close();
    }
  });

  it("over HTTP: creates and writes get 507 store_full, while /ready, reads, streams and deletes work; metrics and the log say so", async () => {
    await admin.flushall();
    const server = await spawnServer({ REDIS_URL: redis.url });
    try {
      const pad = "x".repeat(20_000);
      const created: Array<{ id: string; token: string }> = [];
      let refused: Response | undefined;
      for (let i = 0; i < 200 && !refused; i++) {
        const response = await post(server.url, { session_id: `h${i}`, template: TEMPLATE, args: { a: pad } });
        if (response.status === 201) created.push({ id: `h${i}`, token: ((await response.json()) as { write_token: string }).write_token });
        else refused = response;
      }
      expect(refused?.status).toBe(507);
      expect(await refused!.json()).toMatchObject({ code: "store_full", error: expect.stringContaining("store is full") });
      expect(created.length).toBeGreaterThan(0);

      const { id, token } = created[0]!;
      // Large enough that Redis, which checks memory before running a command, refuses it for sure.
      const patch = await fetch(`${server.url}/api/session/${id}`, {
        method: "PATCH",
        headers: { ...json, Authorization: `Bearer ${token}` },
        body: JSON.stringify({ args: { a: "y".repeat(60_000) } }),
      });
      expect(patch.status).toBe(507);
      expect(await patch.json()).toMatchObject({ code: "store_full" });

      expect((await fetch(`${server.url}/ready`)).status).toBe(200);
      const read = (await (await fetch(`${server.url}/api/session/${id}`)).json()) as { args: { a: string }; version: number };
      expect(read).toMatchObject({ args: { a: pad }, version: 1 });
      expect(await (await fetch(`${server.url}/svg/${id}`)).text()).toBe(`<svg>${pad}</svg>`);
      const stream = await fetch(`${server.url}/stream/${id}`, { headers: { "User-Agent": "test" } });
      expect(stream.status).toBe(200);
      const parts = readMultipart(stream);
      expect(await parts.next()).toBe(`<svg>${pad}</svg>`);
      parts.close();

      expect(await metric(server.url, "rsvg_store_full_total")).toBe(2);
      expect(await metric(server.url, "rsvg_store_errors_total")).toBe(0);
      expect(server.logs.join("\n")).toMatch(/redis store is full: OOM command not allowed/);

      const removed = await fetch(`${server.url}/api/session/${id}`, { method: "DELETE", headers: { Authorization: `Bearer ${token}` } });
      expect(removed.status).toBe(204);
    } finally {
      await server.stop();
    }
  });
});

describe("the memory store at MEMORY_MAX_BYTES", () => {
  let server: ServerProcess;
  beforeAll(async () => {
    // The heap a 512 MiB pod gives Node: without the cap, 2,000 such sessions (about 490 MB of
    // records) would take the process down.
    server = await spawnServer({ MEMORY_MAX_BYTES: "67108864", NODE_OPTIONS: "--max-old-space-size=256" });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it("2,000 creates of 60 KiB: those beyond the cap get 507, the process stays up, the earlier sessions read back intact", { timeout: 180_000 }, async () => {
    // "✓" makes V8 keep each record two bytes per character, the case the count is made for.
    const value = (i: number) => `✓${i}:`.padEnd(60 * 1024, "x");
    const statuses = await pool(2_000, 8, async (i) => {
      const response = await post(server.url, { session_id: `m${i}`, template: TEMPLATE, args: { a: value(i) } });
      const body = (await response.json()) as { code?: string };
      return response.status === 507 ? (body.code ?? "?") : response.status;
    });
    const created = statuses.flatMap((status, i) => (status === 201 ? [i] : []));
    const full = statuses.filter((status) => status === "store_full").length;
    expect(created.length + full).toBe(2_000);
    // 64 MiB of records at ~246 KB each (123 K characters of JSON, counted twice).
    expect(created.length).toBeGreaterThan(200);
    expect(created.length).toBeLessThan(300);
    expect(server.process.exitCode).toBeNull();
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
    expect((await fetch(`${server.url}/ready`)).status).toBe(200);

    await pool(created.length, 8, async (k) => {
      const i = created[k]!;
      const read = (await (await fetch(`${server.url}/api/session/m${i}`)).json()) as { args: { a: string } };
      expect(read.args.a).toBe(value(i));
      expect(await (await fetch(`${server.url}/svg/m${i}`)).text()).toBe(`<svg>${value(i)}</svg>`);
    });
    expect(await metric(server.url, "rsvg_store_full_total")).toBe(full);
    expect(server.logs.join("\n")).toMatch(/memory store is full/);
  });
});
