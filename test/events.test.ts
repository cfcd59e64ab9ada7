/** GET /events/ID and /events?ids=…: server-sent events from the Node host on the Redis store. */
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { RunningServer } from "../runtime/node/server.js";
import { ioredisPorts } from "../runtime/stores/ioredis.js";
import { readEvents } from "./support/events.js";
import { startInProcess } from "./support/server.js";

const TEMPLATE = '<svg xmlns="http://www.w3.org/2000/svg">\n<text>{{ n }}</text>\n</svg>';
const frame = (n: number) => `<svg xmlns="http://www.w3.org/2000/svg">\n<text>${n}</text>\n</svg>`;
const prefix = `test-events-${crypto.randomUUID()}:`;

describe("server-sent events", () => {
  let server: RunningServer;
  let capped: RunningServer;
  let base: string;
  const tokens = new Map<string, string>();
  let counter = 0;
  const uniqueId = (name: string) => `${name}-${++counter}-${Math.random().toString(36).slice(2, 7)}`;

  beforeAll(async () => {
    const url = inject("redisUrl");
    [server, capped] = await Promise.all([
      startInProcess(ioredisPorts({ url, prefix }), { KEEP_ALIVE_MS: "60000" }),
      startInProcess(ioredisPorts({ url, prefix }), { MAX_STREAMS: "3", MAX_EVENT_IDS: "3" }),
    ]);
    base = server.url;
  });
  afterAll(async () => {
    await Promise.all([server?.shutdown(), capped?.shutdown()]);
  });

  async function create(name: string, n = 1): Promise<string> {
    const id = uniqueId(name);
    const response = await fetch(`${base}/api/session`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ session_id: id, template: TEMPLATE, args: { n } }),
    });
    expect(response.status).toBe(201);
    tokens.set(id, ((await response.json()) as { write_token: string }).write_token);
    return id;
  }
  const send = (method: string, id: string, body?: unknown) =>
    fetch(`${base}/api/session/${id}`, {
      method,
      headers: { "Content-Type": "application/json", Authorization: `Bearer ${tokens.get(id)}` },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  const write = async (id: string, n: number) => expect((await send("PATCH", id, { args: { n } })).status).toBe(200);
  const tagOf = async (id: string) => {
    const etag = (await fetch(`${base}/svg/${id}`)).headers.get("etag")!;
    return etag.replace(/"/g, "");
  };

  describe("of one session (/events/ID)", () => {
    it("start with a retry hint and the current frame at once, its tag as the id, then every update", async () => {
      const id = await create("single");
      const response = await fetch(`${base}/events/${id}`);
      expect(response.status).toBe(200);
      expect(response.headers.get("content-type")).toBe("text/event-stream; charset=utf-8");
      expect(response.headers.get("cache-control")).toBe("no-cache, no-store");
      expect(response.headers.get("x-accel-buffering")).toBe("no");
      expect(response.headers.get("access-control-allow-origin")).toBe("*");
      const events = readEvents(response);
      const first = await events.next();
      expect(events.retries[0]).toBeGreaterThanOrEqual(500);
      expect(events.retries[0]).toBeLessThanOrEqual(1_500);
      // the multi-line SVG arrives whole: one data line per line, joined with LF
      expect(first).toEqual({ event: "frame", data: frame(1), id: await tagOf(id) });
      await write(id, 2);
      expect(await events.next()).toEqual({ event: "frame", data: frame(2), id: await tagOf(id) });
      events.close();
    });

    it("spare a reconnecting client the frame its Last-Event-ID names, and only that one", async () => {
      const id = await create("resume");
      const tag = await tagOf(id);
      const same = readEvents(await fetch(`${base}/events/${id}`, { headers: { "Last-Event-ID": tag } }));
      const older = readEvents(await fetch(`${base}/events/${id}`, { headers: { "Last-Event-ID": tag.replace(/-1$/, "-0") } }));
      expect((await older.next()).data).toBe(frame(1));
      await same.until(() => same.retries.length > 0, 2_000, "the stream's start");
      await write(id, 2);
      expect((await same.next()).data).toBe(frame(2));
      expect(same.events).toHaveLength(1);
      same.close();
      older.close();
    });

    it("send keep-alive comments every keep_alive ms", async () => {
      const id = await create("quiet");
      const events = readEvents(await fetch(`${base}/events/${id}?keep_alive=1000`));
      await events.next();
      await events.until(() => events.comments >= 1, 2_500, "a keep-alive comment");
      expect(events.events).toHaveLength(1);
      events.close();
    });

    it("end with an end event when the session is deleted", async () => {
      const id = await create("deleted");
      const events = readEvents(await fetch(`${base}/events/${id}`));
      await events.next();
      expect((await send("DELETE", id)).status).toBe(204);
      expect(await events.next()).toMatchObject({ event: "end", data: JSON.stringify({ session: id, reason: "ended" }) });
      await events.ended(2_000);
      expect((await fetch(`${base}/events/${id}`)).status).toBe(404);
    });

    it("answer HEAD with the head and open nothing; 404 for no such session", async () => {
      const id = await create("head");
      const head = await fetch(`${base}/events/${id}`, { method: "HEAD" });
      expect(head.status).toBe(200);
      expect(head.headers.get("content-type")).toMatch(/^text\/event-stream/);
      expect(await head.text()).toBe("");
      expect(server.app.hub.viewersOf(id)).toBe(0);
      expect((await fetch(`${base}/events/no-such-session`, { method: "HEAD" })).status).toBe(404);
      const missing = await fetch(`${base}/events/no-such-session`);
      expect(missing.status).toBe(404);
      expect(missing.headers.get("access-control-allow-origin")).toBe("*");
    });
  });

  describe("of several sessions (/events?ids=…)", () => {
    it("name the session in each event, carry the connection's cursor as id, and end a missing session at once", async () => {
      const [a, b] = [await create("multi-a", 10), await create("multi-b", 20)];
      const events = readEvents(await fetch(`${base}/events?ids=${a},${b},gone-${counter}`));
      const first = await events.next();
      expect(first).toEqual({ event: "end", data: JSON.stringify({ session: `gone-${counter}`, reason: "not_found" }), id: "" });
      const frames = [await events.next(), await events.next()];
      expect(frames.map((event) => JSON.parse(event.data))).toEqual([
        { session: a, frame: await tagOf(a), svg: frame(10) },
        { session: b, frame: await tagOf(b), svg: frame(20) },
      ]);
      expect(frames[1]!.id).toBe(`${a}:${await tagOf(a)},${b}:${await tagOf(b)}`);
      await write(b, 21);
      const update = await events.next();
      expect(JSON.parse(update.data)).toMatchObject({ session: b, svg: frame(21) });
      expect(update.id).toBe(`${a}:${await tagOf(a)},${b}:${await tagOf(b)}`);

      // Reconnecting with that cursor: nothing is resent, the next change arrives.
      events.close();
      const resumed = readEvents(await fetch(`${base}/events?ids=${a},${b}`, { headers: { "Last-Event-ID": update.id } }));
      await resumed.until(() => resumed.retries.length > 0, 2_000, "the stream's start");
      await write(a, 11);
      expect(JSON.parse((await resumed.next()).data)).toMatchObject({ session: a, svg: frame(11) });
      expect(resumed.events).toHaveLength(1);

      // One session deleted: its end, and the stream goes on for the other.
      expect((await send("DELETE", a)).status).toBe(204);
      expect(await resumed.next()).toMatchObject({ event: "end", data: JSON.stringify({ session: a, reason: "ended" }) });
      await write(b, 22);
      const after = await resumed.next();
      expect(JSON.parse(after.data)).toMatchObject({ session: b, svg: frame(22) });
      expect(after.id).toBe(`${b}:${await tagOf(b)}`);
      expect(resumed.finished).toBe(false);
      resumed.close();
    });

    it("answer 404 when none of the sessions exists, 400 for no ids or a bad one", async () => {
      expect((await fetch(`${base}/events?ids=nope-1,nope-2`)).status).toBe(404);
      expect((await fetch(`${base}/events?ids=nope-1`, { method: "HEAD" })).status).toBe(404);
      for (const query of ["", "?ids=", "?ids=,,"]) {
        const response = await fetch(`${base}/events${query}`);
        expect(response.status).toBe(400);
        expect(await response.json()).toMatchObject({ code: "invalid_query" });
      }
      const bad = await fetch(`${base}/events?ids=a,b%3Ac`);
      expect(bad.status).toBe(400);
      expect(await bad.json()).toMatchObject({ code: "invalid_session_id" });
    });

    it("carry at most MAX_EVENT_IDS sessions, each counted against MAX_STREAMS", async () => {
      const ids = [await create("cap-a"), await create("cap-b"), await create("cap-c"), await create("cap-d")];
      const over = await fetch(`${capped.url}/events?ids=${ids.join(",")}`);
      expect(over.status).toBe(400);
      expect(await over.json()).toMatchObject({ code: "invalid_query", error: expect.stringMatching(/at most 3 \(MAX_EVENT_IDS\)/) });
      // the same id twice is one session
      const two = readEvents(await fetch(`${capped.url}/events?ids=${ids[0]},${ids[1]},${ids[0]}`));
      await two.until(() => two.events.length === 2);
      expect(capped.app.hub.viewerCount).toBe(2);
      const refused = await fetch(`${capped.url}/events?ids=${ids[2]},${ids[3]}`);
      expect(refused.status).toBe(503);
      expect(await refused.json()).toMatchObject({ code: "too_many_streams" });
      expect(refused.headers.get("retry-after")).toBeTruthy();
      const image = await fetch(`${capped.url}/stream/${ids[2]}`);
      expect(image.status).toBe(200);
      await image.body!.cancel();
      two.close();
    });

    it("are readable from any origin, and a preflight allows Last-Event-ID", async () => {
      const id = await create("cors");
      const response = await fetch(`${base}/events?ids=${id}`, { headers: { Origin: "https://elsewhere.example" } });
      expect(response.headers.get("access-control-allow-origin")).toBe("*");
      await response.body!.cancel();
      const preflight = await fetch(`${base}/events?ids=${id}`, {
        method: "OPTIONS",
        headers: { Origin: "https://elsewhere.example", "Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": "last-event-id" },
      });
      expect(preflight.status).toBe(204);
      expect(preflight.headers.get("access-control-allow-origin")).toBe("*");
      expect(preflight.headers.get("access-control-allow-headers")).toMatch(/Last-Event-ID/);
    });
  });

  it("serve /embed.js as a cacheable module script with an ETag, to any origin", async () => {
    const script = await fetch(`${base}/embed.js`, { headers: { Origin: "https://elsewhere.example" } });
    expect(script.status).toBe(200);
    expect(script.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    expect(script.headers.get("access-control-allow-origin")).toBe("*");
    expect(script.headers.get("cache-control")).toMatch(/max-age=\d+/);
    const etag = script.headers.get("etag")!;
    expect(etag).toMatch(/^"[0-9a-f]{24}"$/);
    expect(await script.text()).toContain('customElements.define("realtime-svg"');
    expect((await fetch(`${base}/embed.js`, { headers: { "If-None-Match": etag } })).status).toBe(304);
  });
});
