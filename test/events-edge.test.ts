/**
 * Server-sent events and /embed.js on the edge host: the built worker in workerd (miniflare) on
 * the real Redis through the Upstash-REST bridge, with frames written by a Node replica on the
 * same Redis. Built into a directory of its own, so it cannot race test/edge.test.ts's build.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Miniflare } from "miniflare";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { buildEdge, startEdgeWorker } from "./support/edge.js";
import { readEvents } from "./support/events.js";
import { spawnServer, type ServerProcess } from "./support/server.js";
import { startUpstashBridge, type UpstashBridge } from "./support/upstash-bridge.js";

const template = '<svg xmlns="http://www.w3.org/2000/svg"><text>{{ n }}</text></svg>';
const frame = (n: number) => `<svg xmlns="http://www.w3.org/2000/svg"><text>${n}</text></svg>`;


describe("events and the element on the edge host", () => {
  const redisUrl = inject("redisUrl");
  const prefix = `edge-events-${crypto.randomUUID()}:`;
  let outdir: string;
  let bridge: UpstashBridge;
  let worker: Miniflare;
  let edge: string;
  let node: ServerProcess;

  beforeAll(async () => {
    outdir = await mkdtemp(join(tmpdir(), "rsvg-edge-events-"));
    // Each assigned as it starts, so afterAll stops whatever did start when another part fails.
    await Promise.all([
      startUpstashBridge(redisUrl).then((started) => (bridge = started)),
      spawnServer({ REDIS_URL: redisUrl, KEY_PREFIX: prefix }).then((started) => (node = started)),
      buildEdge(outdir),
    ]);
    ({ worker, origin: edge } = await startEdgeWorker(outdir, {
      UPSTASH_REDIS_REST_URL: bridge.url,
      UPSTASH_REDIS_REST_TOKEN: bridge.token,
      KEY_PREFIX: prefix,
      KEEP_ALIVE_MS: "60000",
    }));
  }, 60_000);

  afterAll(async () => {
    await Promise.all([worker?.dispose(), node?.stop(), bridge?.close()]);
    if (outdir) await rm(outdir, { recursive: true, force: true });
  });

  async function create(id: string): Promise<string> {
    const created = await fetch(`${node.url}/api/session`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ session_id: id, template, args: { n: 0 } }),
    });
    expect(created.status).toBe(201);
    return ((await created.json()) as { write_token: string }).write_token;
  }
  const send = (method: string, id: string, token: string, body?: unknown) =>
    fetch(`${node.url}/api/session/${id}`, {
      method,
      headers: { "Content-Type": "application/json", Authorization: `Bearer ${token}` },
      body: body === undefined ? undefined : JSON.stringify(body),
    });

  it("streams one session's frames written by a Node replica, and ends on delete", async () => {
    const token = await create("edge-single");
    const response = await fetch(`${edge}/events/edge-single`, { headers: { Origin: "https://elsewhere.example" } });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/event-stream; charset=utf-8");
    expect(response.headers.get("access-control-allow-origin")).toBe("*");
    const events = readEvents(response);
    try {
      expect(await events.next(10_000)).toMatchObject({ event: "frame", data: frame(0) });
      expect((await send("PATCH", "edge-single", token, { args: { n: 1 } })).status).toBe(200);
      expect(await events.next(10_000)).toMatchObject({ event: "frame", data: frame(1) });
      expect((await send("DELETE", "edge-single", token)).status).toBe(204);
      expect(await events.next(10_000)).toMatchObject({ event: "end", data: JSON.stringify({ session: "edge-single", reason: "ended" }) });
      await events.ended(5_000);
    } finally {
      events.close();
    }
  });

  it("carries several sessions on one connection", async () => {
    const [a, b] = [await create("edge-a"), await create("edge-b")];
    const events = readEvents(await fetch(`${edge}/events?ids=edge-a,edge-b`));
    try {
      const first = [await events.next(10_000), await events.next(10_000)].map((event) => JSON.parse(event.data).session);
      expect(first.sort()).toEqual(["edge-a", "edge-b"]);
      expect((await send("PATCH", "edge-b", b, { args: { n: 5 } })).status).toBe(200);
      expect(JSON.parse((await events.next(10_000)).data)).toMatchObject({ session: "edge-b", svg: frame(5) });
      expect((await send("PATCH", "edge-a", a, { args: { n: 6 } })).status).toBe(200);
      expect(JSON.parse((await events.next(10_000)).data)).toMatchObject({ session: "edge-a", svg: frame(6) });
    } finally {
      events.close();
    }
  });

  it("serves /embed.js with its ETag, and the viewer page that uses it", async () => {
    const script = await fetch(`${edge}/embed.js`);
    expect(script.status).toBe(200);
    expect(script.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    expect(script.headers.get("access-control-allow-origin")).toBe("*");
    expect(await script.text()).toContain('customElements.define("realtime-svg"');
    const fromNode = await fetch(`${node.url}/embed.js`, { method: "HEAD" });
    expect(script.headers.get("etag")).toBe(fromNode.headers.get("etag"));
    await create("edge-page");
    const page = await fetch(`${edge}/session/edge-page`);
    expect(await page.text()).toContain('<realtime-svg session="edge-page"');
  });
});
