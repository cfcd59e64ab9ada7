import { readFileSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { readMultipart } from "./support/multipart.js";
import { spawnServer, type ServerProcess } from "./support/server.js";

const json = { "Content-Type": "application/json" };

async function createSession(base: string, id: string, template: string, args: object, expire?: number) {
  const response = await fetch(`${base}/api/session`, {
    method: "POST",
    headers: json,
    body: JSON.stringify({ session_id: id, template, args, expire }),
  });
  expect(response.status).toBe(201);
  return ((await response.json()) as { write_token: string }).write_token;
}

async function patch(base: string, id: string, token: string, args: object) {
  const response = await fetch(`${base}/api/session/${id}`, {
    method: "PATCH",
    headers: { ...json, Authorization: `Bearer ${token}` },
    body: JSON.stringify({ args }),
  });
  expect(response.status).toBe(200);
}

const rssBytes = (pid: number) =>
  Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))![1]) * 1024;

async function metric(base: string, name: string): Promise<number> {
  const text = await (await fetch(`${base}/metrics`)).text();
  const line = text.split("\n").find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
  return line ? Number(line.split(" ").at(-1)) : Number.NaN;
}

describe("a viewer that stops reading", () => {
  let server: ServerProcess;
  beforeAll(async () => {
    server = await spawnServer();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it("costs the server one pending frame, not a queue, and gets the newest frame when it resumes", async () => {
    const pad = "x".repeat(60 * 1024);
    const template = `<svg xmlns="http://www.w3.org/2000/svg"><!-- {{ pad }} --><text>n={{ n }};</text></svg>`;
    const token = await createSession(server.url, "stalled", template, { n: 0, pad });

    // A raw socket that reads the response head and first frame, then stops reading.
    const { port } = new URL(server.url);
    const socket: Socket = connect(Number(port), "127.0.0.1");
    socket.setNoDelay(true);
    let received = "";
    socket.on("data", (chunk) => {
      received += chunk.toString("latin1");
    });
    socket.write("GET /stream/stalled HTTP/1.1\r\nHost: x\r\n\r\n");
    await expect.poll(() => received.includes("n=0;"), { timeout: 5_000 }).toBe(true);
    const updates = 1000;
    // Warm-up with the viewer reading: the heap grows to its working size on garbage alone.
    const warmUp = 300;
    for (let n = 1; n <= warmUp; n++) await patch(server.url, "stalled", token, { n: -n });
    await expect.poll(() => received.includes(`n=-${warmUp};`), { timeout: 5_000 }).toBe(true);
    socket.pause();
    received = "";

    const before = rssBytes(server.process.pid!);
    const droppedBefore = await metric(server.url, "rsvg_frames_dropped_total");
    for (let n = 1; n <= updates; n++) await patch(server.url, "stalled", token, { n });
    const after = rssBytes(server.process.pid!);
    const dropped = (await metric(server.url, "rsvg_frames_dropped_total")) - droppedBefore;
    console.log(
      `stalled reader: ${updates} frames of ${Math.round(pad.length / 1024)} KiB published; server RSS ${(
        before / 2 ** 20
      ).toFixed(1)} → ${(after / 2 ** 20).toFixed(1)} MiB; ${dropped} frames dropped for the slow viewer`,
    );
    // 1000 queued frames would be 60 MiB; coalescing keeps growth to socket buffers and garbage.
    expect(after - before).toBeLessThan(24 * 2 ** 20);
    expect(dropped).toBeGreaterThan(updates / 2);

    socket.resume();
    await expect.poll(() => received.includes(`n=${updates};`), { timeout: 10_000 }).toBe(true);
    const seen = [...received.matchAll(/n=(\d+);/g)].map((match) => Number(match[1]));
    // It saw some of the early frames that were already in socket buffers, then the newest.
    expect(seen.at(-1)).toBe(updates);
    expect(seen.length).toBeLessThan(updates / 4);
    socket.destroy();
  }, 90_000);
});

describe("sessions that end", () => {
  let server: ServerProcess;
  beforeAll(async () => {
    server = await spawnServer();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it("close their viewers' streams with the final boundary when they expire", async () => {
    await createSession(server.url, "short-lived", "<svg>brief</svg>", {}, 2);
    const streams = [readMultipart(await fetch(`${server.url}/stream/short-lived`)), readMultipart(await fetch(`${server.url}/stream/short-lived`))];
    for (const stream of streams) await stream.next();
    const started = performance.now();
    for (const stream of streams) {
      await stream.ended(5_000);
      expect(stream.frames.at(-1)).toBe("<svg>brief</svg>");
    }
    expect(performance.now() - started).toBeGreaterThan(1_000);
    expect(await metric(server.url, "rsvg_open_streams")).toBe(0);
    expect(await metric(server.url, "rsvg_subscribed_channels")).toBe(0);
  });
});

describe("metrics", () => {
  it("count streams, channels, frames, renders and requests by route", async () => {
    const server = await spawnServer({ METRICS_TOKEN: "scrape-me" });
    try {
      expect((await fetch(`${server.url}/metrics`)).status).toBe(401);
      const wrong = await fetch(`${server.url}/metrics`, { headers: { Authorization: "Bearer scrape-you" } });
      expect(wrong.status).toBe(403);
      expect(await wrong.json()).toMatchObject({ code: "forbidden" });
      const scrape = async () =>
        (await fetch(`${server.url}/metrics`, { headers: { Authorization: "Bearer scrape-me" } })).text();
      const token = await createSession(server.url, "counted", "<svg>{{ n }}</svg>", { n: 0 });
      const streams = [readMultipart(await fetch(`${server.url}/stream/counted`)), readMultipart(await fetch(`${server.url}/stream/counted`))];
      for (const stream of streams) await stream.next();
      await patch(server.url, "counted", token, { n: 1 });
      for (const stream of streams) await stream.next();
      const text = await scrape();
      expect(text).toMatch(/^rsvg_open_streams 2$/m);
      expect(text).toMatch(/^rsvg_subscribed_channels 1$/m);
      // the create and the update each store and announce a frame
      expect(text).toMatch(/^rsvg_frames_published_total 2$/m);
      expect(text).toMatch(/^rsvg_frames_delivered_total 4$/m);
      expect(text).toMatch(/^rsvg_render_duration_seconds_count 2$/m);
      expect(text).toMatch(/^rsvg_http_requests_total\{route="\/api\/session",method="POST",status="201"\} 1$/m);
      expect(text).toMatch(/^rsvg_http_requests_total\{route="\/stream\/:id",method="GET",status="200"\} 2$/m);
      expect(text).toMatch(/^process_resident_memory_bytes \d+/m);
      // /metrics is a route like the others: counted, refusals included.
      expect(text).toMatch(/^rsvg_http_requests_total\{route="\/metrics",method="GET",status="401"\} 1$/m);
      expect(text).toMatch(/^rsvg_http_requests_total\{route="\/metrics",method="GET",status="403"\} 1$/m);
      for (const stream of streams) stream.close();
      await expect.poll(async () => /^rsvg_open_streams 0$/m.test(await scrape()), { timeout: 3_000 }).toBe(true);
    } finally {
      await server.stop();
    }
  });
});

describe("on Redis", () => {
  let server: ServerProcess;
  let redis: Redis;
  const prefix = `test-fanout-${crypto.randomUUID()}:`;
  beforeAll(async () => {
    server = await spawnServer({ REDIS_URL: inject("redisUrl"), KEY_PREFIX: prefix });
    redis = new Redis(inject("redisUrl"));
  });
  afterAll(async () => {
    await server?.stop();
    redis?.disconnect();
  });

  it("subscribes each channel once per process and leaves nothing subscribed after the viewers go", async () => {
    const sessions = ["c1", "c2", "c3"];
    for (const id of sessions) await createSession(server.url, id, "<svg/>", {});
    const controllers: AbortController[] = [];
    for (const id of sessions) {
      for (let i = 0; i < 10; i++) {
        const controller = new AbortController();
        controllers.push(controller);
        await readMultipart(await fetch(`${server.url}/stream/${id}`, { signal: controller.signal })).next();
      }
    }
    const channels = async () => ((await redis.pubsub("CHANNELS", `${prefix}*`)) as string[]).sort();
    expect(await channels()).toEqual(sessions.map((id) => `${prefix}channel:${id}`));
    for (const id of sessions) {
      const [, count] = (await redis.pubsub("NUMSUB", `${prefix}channel:${id}`)) as [string, number];
      expect(Number(count)).toBe(1);
    }
    const clients = (await redis.client("LIST")) as string;
    const ours = clients.split("\n").filter((line) => / name=realtime-svg /.test(line));
    expect(ours.length).toBeLessThanOrEqual(3);
    for (const controller of controllers) controller.abort();
    await expect.poll(channels, { timeout: 3_000 }).toEqual([]);
  });
});
