/**
 * The edge entry as it ships: `npm run build:edge` bundles it, workerd (miniflare) runs the bundle
 * against the real Redis through the Upstash-REST bridge, and a Node replica on the Redis store
 * shares that Redis with it.
 */
import { access, readFile } from "node:fs/promises";
import { builtinModules } from "node:module";
import { Redis } from "ioredis";
import type { Miniflare } from "miniflare";
import { PNG } from "pngjs";
import { afterAll, beforeAll, describe, expect, inject, it, vi } from "vitest";
import { buildEdge, defaultEdgeDir as edgeDir, startEdgeWorker } from "./support/edge.js";
import { readMultipart } from "./support/multipart.js";
import { spawnServer, type ServerProcess } from "./support/server.js";
import { startUpstashBridge, type UpstashBridge } from "./support/upstash-bridge.js";

const API_KEY = "edge-test-api-key";
const template = '<svg xmlns="http://www.w3.org/2000/svg"><text>{{ n }}</text></svg>';
const frame = (n: number) => `<svg xmlns="http://www.w3.org/2000/svg"><text>${n}</text></svg>`;
const CARD =
  `<div style="display:flex;width:100%;height:100%;background:#ffffff;color:#000000;font-size:48px;` +
  `align-items:center;padding-left:10px">{{ text }}</div>`;

/** Pixels that are not the white background. */
function inked(image: PNG): number {
  let count = 0;
  for (let i = 0; i < image.data.length; i += 4) {
    if (image.data[i]! < 200 || image.data[i + 1]! < 200 || image.data[i + 2]! < 200) count++;
  }
  return count;
}


describe("the edge entry", () => {
  const redisUrl = inject("redisUrl");
  const prefix = `edge-${crypto.randomUUID()}:`;
  let bridge: UpstashBridge;
  let worker: Miniflare;
  let edge: string;
  let node: ServerProcess;

  beforeAll(async () => {
    const building = buildEdge();
    [bridge, node] = await Promise.all([
      startUpstashBridge(redisUrl),
      spawnServer({ REDIS_URL: redisUrl, KEY_PREFIX: prefix, API_KEY }),
      building,
    ]);
    ({ worker, origin: edge } = await startEdgeWorker(edgeDir, {
      UPSTASH_REDIS_REST_URL: bridge.url,
      UPSTASH_REDIS_REST_TOKEN: bridge.token,
      KEY_PREFIX: prefix,
      API_KEY,
      KEEP_ALIVE_MS: "60000",
    }));
  }, 60_000);

  afterAll(async () => {
    await Promise.all([worker?.dispose(), node?.stop(), bridge?.close()]);
    const admin = new Redis(redisUrl);
    const keys = await admin.keys(`${prefix}*`);
    if (keys.length > 0) await admin.del(...keys);
    await admin.quit();
  });

  const send = (base: string, method: string, path: string, token: string, body?: unknown) =>
    fetch(`${base}${path}`, {
      method,
      headers: { "Content-Type": "application/json", Authorization: `Bearer ${token}` },
      body: body === undefined ? undefined : JSON.stringify(body),
    });

  async function create(base: string, id: string): Promise<string> {
    const created = await send(base, "POST", "/api/session", API_KEY, { session_id: id, template, args: { n: 0 } });
    expect(created.status).toBe(201);
    return ((await created.json()) as { write_token: string }).write_token;
  }

  it("is bundled into one ESM file that imports only its wasm modules: no Node built-in, no Node-only package", async () => {
    const meta = JSON.parse(await readFile(`${edgeDir}/meta.json`, "utf8")) as {
      inputs: Record<string, unknown>;
      outputs: Record<string, { imports: { path: string }[] }>;
    };
    expect(Object.keys(meta.outputs).sort()).toEqual(["dist/edge/index_bg.wasm", "dist/edge/layout.wasm", "dist/edge/worker.js"]);
    const imports = meta.outputs["dist/edge/worker.js"]!.imports.map((entry) => entry.path.replace(/^(\.|dist\/edge)\//, ""));
    expect(imports.sort()).toEqual(["harfbuzz.wasm", "index_bg.wasm", "layout.wasm"]);
    for (const wasm of imports) await access(`${edgeDir}/${wasm}`);
    expect(Object.keys(meta.inputs).filter((input) => /noto-sans-kr|@twemoji/.test(input))).toEqual([]);
    const inputs = Object.keys(meta.inputs);
    for (const nodeOnly of [/ioredis/, /pino/, /@hono\/node-server/, /prom-client/, /runtime\/stores\/(ioredis|memory)\.ts/, /runtime\/node\/(?!config\.ts)/]) {
      expect(inputs.filter((input) => nodeOnly.test(input))).toEqual([]);
    }
    expect(inputs).toContain("node_modules/@upstash/redis/cloudflare.mjs");
    expect(inputs.some((input) => /liquidjs\/dist\/liquid\.browser/.test(input))).toBe(true);
    const bundle = await readFile(`${edgeDir}/worker.js`, "utf8");
    const builtins = builtinModules.filter((name) =>
      new RegExp(`(from|import|require)\\s*\\(?\\s*["'](node:)?${name}["']`).test(bundle),
    );
    expect(builtins).toEqual([]);
  });

  it("runs in workerd: create, stream the first frame, update, the stream receives the next frame", async () => {
    expect(await (await fetch(`${edge}/ready`)).json()).toEqual({ status: "ready", store: "upstash" });
    const anonymous = await fetch(`${edge}/api/session`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ session_id: "anon", template }),
    });
    expect(anonymous.status).toBe(401); // API_KEY came from the bindings

    const token = await create(edge, "on-edge");
    const stream = readMultipart(await fetch(`${edge}/stream/on-edge`));
    try {
      expect(await stream.next()).toBe(frame(0));
      expect(stream.preambleBytes()).toBeGreaterThanOrEqual(1024); // workerd passes the first write whole
      for (const n of [1, 2]) {
        expect((await send(edge, "PUT", "/api/session/on-edge", token, { args: { n } })).status).toBe(200);
        expect(await stream.next()).toBe(frame(n));
      }
    } finally {
      stream.close();
    }
  });

  it("renders html sessions in workerd: an SVG of glyph paths, a PNG of the requested size, streamed updates", async () => {
    const created = await send(edge, "POST", "/api/session", API_KEY, {
      session_id: "html-edge",
      template: CARD,
      args: { text: "Build passing" },
      kind: "html",
      width: 400,
      height: 120,
    });
    expect(created.status, await created.clone().text()).toBe(201);
    const token = ((await created.json()) as { write_token: string }).write_token;

    const svg = await fetch(`${edge}/svg/html-edge`);
    expect(svg.status).toBe(200);
    const first = await svg.text();
    expect(first).toMatch(/^<svg width="400" height="120"/);
    expect(first).not.toContain("<text");
    expect(first).toContain("<path");

    const png = await fetch(`${edge}/png/html-edge`);
    expect(png.status).toBe(200);
    expect(png.headers.get("content-type")).toBe("image/png");
    const image = PNG.sync.read(Buffer.from(await png.arrayBuffer()));
    expect([image.width, image.height]).toEqual([400, 120]);
    expect(inked(image)).toBeGreaterThan(200);

    const stream = readMultipart(await fetch(`${edge}/stream/html-edge`));
    try {
      expect(await stream.next()).toBe(first);
      expect((await send(edge, "PUT", "/api/session/html-edge", token, { args: { text: "Deployed" } })).status).toBe(200);
      const next = await stream.next();
      expect(next).toMatch(/^<svg width="400" height="120"/);
      expect(next).toContain("<path");
      expect(next).not.toBe(first);
    } finally {
      stream.close();
    }
    // The Node replica serves the frame the edge rendered.
    expect(await (await fetch(`${node.url}/svg/html-edge`)).text()).not.toBe(first);
  });

  it("renders what it has no glyphs for (Korean, emoji) as left out, not as an error", async () => {
    const created = await send(edge, "POST", "/api/session", API_KEY, {
      session_id: "html-edge-ko",
      template: CARD,
      args: { text: "OK 안녕 🚀" },
      kind: "html",
      width: 400,
      height: 120,
    });
    expect(created.status).toBe(201);
    const png = await fetch(`${edge}/png/html-edge-ko`);
    expect(png.status).toBe(200);
    const image = PNG.sync.read(Buffer.from(await png.arrayBuffer()));
    expect([image.width, image.height]).toEqual([400, 120]);
    expect(inked(image)).toBeGreaterThan(50); // "OK" is drawn
  });

  it("serializes one isolate's concurrent writes to a session: 8 PATCHes cost 8 commits and no retry", async () => {
    const token = await create(edge, "queued");
    const before = bridge.requests.length;
    const answers = await Promise.all(
      Array.from({ length: 8 }, (_, i) => send(edge, "PATCH", "/api/session/queued", token, { args: { [`k${i}`]: i } })),
    );
    expect(answers.map((answer) => answer.status)).toEqual(Array(8).fill(200));
    const commands = bridge.requests.slice(before).flatMap((request) => request.commands);
    // One script call per write (a retried compare-and-set would add one), and no read: the
    // isolate created the session, so each write starts from the record it last stored (WRITE_CACHE_BYTES).
    expect(commands.filter((command) => command === "EVALSHA" || command === "EVAL")).toHaveLength(8);
    expect(commands.filter((command) => command === "GET")).toHaveLength(0);
    const session = (await (await fetch(`${edge}/api/session/queued`)).json()) as { version: number; args: Record<string, number> };
    expect(session.version).toBe(9);
    expect(Object.keys(session.args).sort()).toEqual(["k0", "k1", "k2", "k3", "k4", "k5", "k6", "k7", "n"]);
  });

  it("gives each stream its own subscription, so one viewer leaving does not stall another", async () => {
    const token = await create(edge, "two-viewers");
    const channel = `${prefix}channel:two-viewers`;
    const streamsOf = () => bridge.openStreams().filter((name) => name === channel);
    const leaving = readMultipart(await fetch(`${edge}/stream/two-viewers`));
    const staying = readMultipart(await fetch(`${edge}/stream/two-viewers`));
    try {
      for (const stream of [leaving, staying]) expect(await stream.next()).toBe(frame(0));
      expect(streamsOf()).toHaveLength(2); // workerd ties I/O to its request: one per stream
      leaving.close();
      for (const n of [1, 2]) {
        expect((await send(edge, "PUT", "/api/session/two-viewers", token, { args: { n } })).status).toBe(200);
        expect(await staying.next()).toBe(frame(n));
        // workerd notices the departed viewer when a write to it fails; its subscription goes with it
        await vi.waitFor(() => expect(streamsOf()).toHaveLength(1), { timeout: 5_000, interval: 50 });
      }
    } finally {
      leaving.close();
      staying.close();
    }
  });

  it("shares sessions with a Node replica on the same Redis, and frames flow both ways", async () => {
    const token = await create(edge, "shared");
    const seen = await fetch(`${node.url}/api/session/shared`);
    expect(seen.status).toBe(200);
    expect(await seen.json()).toMatchObject({ session_id: "shared", template, args: { n: 0 }, version: 1 });

    const onEdge = readMultipart(await fetch(`${edge}/stream/shared`));
    const onNode = readMultipart(await fetch(`${node.url}/stream/shared`));
    try {
      for (const stream of [onEdge, onNode]) expect(await stream.next()).toBe(frame(0));
      let n = 0;
      for (const writer of [node.url, edge, node.url]) {
        n++;
        expect((await send(writer, "PATCH", "/api/session/shared", token, { args: { n } })).status).toBe(200);
        for (const stream of [onEdge, onNode]) expect(await stream.next()).toBe(frame(n));
      }
      expect((await send(node.url, "DELETE", "/api/session/shared", token)).status).toBe(204);
      for (const stream of [onEdge, onNode]) await stream.ended();
      expect((await fetch(`${edge}/api/session/shared`)).status).toBe(404);
    } finally {
      onEdge.close();
      onNode.close();
    }
  });
});
