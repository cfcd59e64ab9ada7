/**
 * The drain on SIGTERM, over real server processes on one Redis: a replica being replaced keeps
 * its image streams (which cannot reconnect) updating until DRAIN_SECONDS, while it is unready,
 * refuses new streams and sends event-stream clients to reconnect elsewhere.
 */
import { afterAll, describe, expect, inject, it } from "vitest";
import { readEvents } from "./support/events.js";
import { readMultipart, type StreamReader } from "./support/multipart.js";
import { spawnServer, type ServerProcess } from "./support/server.js";

const TEMPLATE = '<svg xmlns="http://www.w3.org/2000/svg"><text>{{ n }}</text></svg>';
const frame = (n: number) => `<svg xmlns="http://www.w3.org/2000/svg"><text>${n}</text></svg>`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const VIEWERS = 500;
const UPDATES = 10;
const UPDATE_EVERY_MS = 1_500;
const DRAIN_SECONDS = 20;
const GRACE_MS = 2_000;

describe("draining on SIGTERM", () => {
  const prefix = `test-drain-${crypto.randomUUID()}:`;
  const env = () => ({ REDIS_URL: inject("redisUrl"), KEY_PREFIX: prefix, KEEP_ALIVE_MS: "60000", SHUTDOWN_GRACE_MS: String(GRACE_MS) });
  const servers: ServerProcess[] = [];
  afterAll(async () => {
    await Promise.all(servers.map((server) => server.stop("SIGKILL")));
  });

  async function start(extra: Record<string, string>): Promise<ServerProcess> {
    const server = await spawnServer({ ...env(), ...extra });
    servers.push(server);
    return server;
  }

  async function create(base: string, id: string): Promise<string> {
    const response = await fetch(`${base}/api/session`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ session_id: id, template: TEMPLATE, args: { n: 0 } }),
    });
    expect(response.status).toBe(201);
    return ((await response.json()) as { write_token: string }).write_token;
  }

  const patch = (base: string, id: string, token: string, n: number) =>
    fetch(`${base}/api/session/${id}`, {
      method: "PATCH",
      headers: { "Content-Type": "application/json", Authorization: `Bearer ${token}`, Connection: "close" },
      body: JSON.stringify({ args: { n } }),
    });

  /** ms from `since` until `ready()` holds, checked every 20 ms, or null after `timeoutMs`. */
  async function timeUntil(ready: () => Promise<boolean>, since: number, timeoutMs: number): Promise<number | null> {
    while (performance.now() - since < timeoutMs) {
      if (await ready().catch(() => false)) return Math.round(performance.now() - since);
      await sleep(20);
    }
    return null;
  }

  const logged = (server: ServerProcess, msg: string) =>
    server.logs.map((line) => {
      try {
        return JSON.parse(line) as Record<string, unknown>;
      } catch {
        return {};
      }
    }).find((entry) => entry.msg === msg);

  it.concurrent(
    `keeps ${VIEWERS} image streams receiving all ${UPDATES} updates written elsewhere, then ends them with the final boundary`,
    async () => {
      const [a, b] = await Promise.all([start({ DRAIN_SECONDS: String(DRAIN_SECONDS) }), start({})]);
      const token = await create(b.url, "drained");
      const other = await create(b.url, "drained-other");

      const viewers: StreamReader[] = [];
      for (let i = 0; i < VIEWERS; i += 50) {
        const batch = await Promise.all(Array.from({ length: 50 }, () => fetch(`${a.url}/stream/drained`)));
        for (const response of batch) {
          expect(response.status).toBe(200);
          viewers.push(readMultipart(response));
        }
      }
      await Promise.all(viewers.map((viewer) => viewer.next(10_000)));
      const events = readEvents(await fetch(`${a.url}/events/drained`));
      await events.next();

      const signalled = performance.now();
      const exited = a.stop("SIGTERM");
      const exitedAt = exited.then(() => performance.now() - signalled);

      const unready = await timeUntil(async () => (await fetch(`${a.url}/ready`, { headers: { Connection: "close" } })).status === 503, signalled, 3_000);
      await events.ended(2_000);
      const eventsEndedMs = Math.round(performance.now() - signalled);

      // During the drain: new streams are refused, reads and writes are served.
      const refused = await fetch(`${a.url}/stream/drained`, { headers: { Connection: "close" } });
      const refusedEvents = await fetch(`${a.url}/events?ids=drained`, { headers: { Connection: "close" } });
      const read = await fetch(`${a.url}/api/session/drained`, { headers: { Connection: "close" } });
      const written = await patch(a.url, "drained-other", other, 1);

      for (let n = 1; n <= UPDATES; n++) {
        expect((await patch(b.url, "drained", token, n)).status).toBe(200);
        if (n < UPDATES) await sleep(UPDATE_EVERY_MS);
      }
      const lastWriteMs = Math.round(performance.now() - signalled);
      await Promise.all(viewers.map((viewer) => viewer.ended(DRAIN_SECONDS * 1000 + GRACE_MS)));
      const exitMs = await exitedAt;

      const complete = viewers.filter((viewer) => {
        const distinct = viewer.frames.filter((svg, i) => svg !== viewer.frames[i - 1]);
        return JSON.stringify(distinct) === JSON.stringify(Array.from({ length: UPDATES + 1 }, (_, n) => frame(n)));
      }).length;
      console.log(
        `drain: /ready 503 after ${unready} ms, event stream ended after ${eventsEndedMs} ms, last write at ${lastWriteMs} ms, ` +
          `${complete}/${VIEWERS} viewers got all ${UPDATES} updates and the final boundary, exit after ${Math.round(exitMs)} ms`,
      );

      expect(unready).not.toBeNull();
      expect(unready!).toBeLessThan(1_000);
      expect(events.events.map((event) => event.event)).toEqual(["frame"]);
      expect(eventsEndedMs).toBeLessThan(1_500);
      expect(refused.status).toBe(503);
      expect(refused.headers.get("retry-after")).toBe("1");
      expect(await refused.json()).toMatchObject({ code: "draining" });
      expect(refusedEvents.status).toBe(503);
      expect(read.status).toBe(200);
      expect(written.status).toBe(200);
      expect(lastWriteMs).toBeLessThan(DRAIN_SECONDS * 1000);
      expect(complete).toBe(VIEWERS);
      expect(await exited).toBe(0);
      expect(exitMs).toBeGreaterThanOrEqual(DRAIN_SECONDS * 1000 - 100);
      expect(exitMs).toBeLessThan(DRAIN_SECONDS * 1000 + GRACE_MS);
      expect(logged(a, "draining: not ready, no new streams, event streams told to reconnect")).toMatchObject({
        drainSeconds: DRAIN_SECONDS,
        streams: VIEWERS,
        eventStreams: 1,
      });
      expect(logged(a, "drain over")).toMatchObject({ outcome: "timeout", streams: VIEWERS });
    },
    60_000,
  );

  it.concurrent("ends the drain as soon as the last image stream has closed", async () => {
    const server = await start({ DRAIN_SECONDS: "30" });
    await create(server.url, "leaving");
    const viewer = readMultipart(await fetch(`${server.url}/stream/leaving`));
    await viewer.next();
    const signalled = performance.now();
    const exited = server.stop("SIGTERM");
    await sleep(500);
    viewer.close();
    expect(await exited).toBe(0);
    expect(performance.now() - signalled).toBeLessThan(3_000);
    expect(logged(server, "drain over")).toMatchObject({ outcome: "closed", streams: 0 });
  });

  it.concurrent("stops promptly on a second SIGTERM, and SIGINT skips the drain", async () => {
    const [twice, interrupted] = await Promise.all([start({ DRAIN_SECONDS: "30" }), start({ DRAIN_SECONDS: "30" })]);
    await Promise.all([create(twice.url, "twice"), create(interrupted.url, "interrupted")]);
    const viewers = [readMultipart(await fetch(`${twice.url}/stream/twice`)), readMultipart(await fetch(`${interrupted.url}/stream/interrupted`))];
    await Promise.all(viewers.map((viewer) => viewer.next()));

    const signalled = performance.now();
    const exits = [twice.stop("SIGTERM"), interrupted.stop("SIGINT")];
    await sleep(500);
    expect(twice.process.exitCode).toBeNull();
    twice.process.kill("SIGTERM");
    for (const viewer of viewers) await viewer.ended(3_000);
    expect(await Promise.all(exits)).toEqual([0, 0]);
    expect(performance.now() - signalled).toBeLessThan(GRACE_MS + 1_500);
    expect(logged(twice, "drain over")).toMatchObject({ outcome: "cut short", streams: 1 });
    expect(logged(interrupted, "shutting down")).toMatchObject({ signal: "SIGINT", drain: false });
    expect(logged(interrupted, "drain over")).toBeUndefined();
  });
});
