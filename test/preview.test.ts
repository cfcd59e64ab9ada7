/**
 * POST /api/preview on the Node host (memory store, render processes) and the edge host (workerd):
 * the frame a session created from the same body stores, every refusal of create with the same
 * status and body, the API key rule, the caps, and nothing stored.
 */
import { request as httpRequest, type ClientRequest } from "node:http";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Miniflare } from "miniflare";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../handlers/app.js";
import type { Renderers } from "../handlers/ports/renderers.js";
import type { RunningServer } from "../runtime/node/server.js";
import { memoryPorts, type MemoryStore } from "../runtime/stores/memory.js";
import { buildEdge, startEdgeWorker } from "./support/edge.js";
import { startInProcess } from "./support/server.js";

const SVG = `<svg xmlns="http://www.w3.org/2000/svg" width="160" height="20"><text x="4" y="14">{{ label }}: {{ n | plus: 1 }}</text></svg>`;
const CARD =
  `<div style="display:flex;width:100%;height:100%;background:#ffffff;color:#112233;font-size:32px;` +
  `align-items:center;padding-left:10px">{{ text }}</div>`;
const STUDIO = "https://studio.example";

/** Small limits, so each can be hit with a small body. */
const ENV = {
  RENDER_WORKERS: "1",
  MAX_BODY_BYTES: "8192",
  MAX_TEMPLATE_BYTES: "2048",
  MAX_FRAME_BYTES: "2048",
  MAX_ARGS_BYTES: "1024",
  MAX_ARGS_DEPTH: "4",
  MAX_ARGS_KEYS: "20",
  MAX_SVG_DEPTH: "8",
  CORS_ORIGINS: STUDIO,
};

let server: RunningServer;
let store: MemoryStore;
let sessions = 0;

beforeAll(async () => {
  const ports = memoryPorts();
  store = ports.store;
  server = await startInProcess(ports, ENV);
});
afterAll(() => server?.shutdown());

type Body = Record<string, unknown> | { raw: string };

function post(path: string, body: Body, headers: Record<string, string> = {}, url = server.url) {
  return fetch(`${url}${path}`, {
    method: "POST",
    headers: { "Content-Type": "application/json", ...headers },
    body: "raw" in body ? (body.raw as string) : JSON.stringify(body),
  });
}
const preview = (body: Body, headers?: Record<string, string>, url?: string) => post("/api/preview", body, headers, url);
const create = (body: Body, headers?: Record<string, string>) =>
  post("/api/session", "raw" in body ? body : { session_id: `p${++sessions}`, ...body }, headers);

describe("POST /api/preview renders what a session would store", () => {
  it.each([
    ["svg", { template: SVG, args: { label: "a<b & c", n: 41 } }],
    ["html", { template: CARD, args: { text: "Build passing" }, kind: "html", width: 400, height: 120 }],
  ])("%s: the same bytes as the created session's frame, stored nowhere", async (_kind, body) => {
    const before = store.usage();
    const answer = await preview(body);
    expect(answer.status).toBe(200);
    expect(answer.headers.get("content-type")).toMatch(/^image\/svg\+xml/);
    expect(answer.headers.get("cache-control")).toBe("no-store");
    expect(answer.headers.get("x-content-type-options")).toBe("nosniff");
    expect(answer.headers.get("content-security-policy")).toContain("default-src 'none'");
    const frame = await answer.text();
    expect(frame).toMatch(/^<svg/);
    expect(store.usage()).toEqual(before);

    const id = `same-${_kind}`;
    const created = await post("/api/session", { session_id: id, ...body });
    expect(created.status).toBe(201);
    const stored = await fetch(`${server.url}/svg/${id}`);
    expect(await stored.text()).toBe(frame);
  });

  it("escapes arguments as a session does", async () => {
    const frame = await (await preview({ template: SVG, args: { label: "<script>", n: 1 } })).text();
    expect(frame).toContain("&lt;script&gt;: 2");
  });
});

/** Bodies create refuses; preview must refuse each with the same status and JSON. */
const deep = { a: { b: { c: { d: {} } } } };
const REFUSED: Array<[code: string, status: number, body: Body, headers?: Record<string, string>]> = [
  ["invalid_json", 400, { raw: "{nope" }],
  ["invalid_json", 400, { raw: "" }],
  ["invalid_body", 400, { raw: "[1]" }],
  ["missing_field", 400, {}],
  ["invalid_body", 400, { template: 3 }],
  ["invalid_body", 400, { template: SVG, args: [1] }],
  ["invalid_body", 400, { template: SVG, bogus: true }],
  ["invalid_body", 400, { template: SVG, kind: "png" }],
  ["invalid_body", 400, { template: CARD, kind: "html", width: 0, height: 10 }],
  ["missing_field", 400, { template: CARD, kind: "html" }],
  ["invalid_size", 400, { template: SVG, width: 10 }],
  ["invalid_template", 400, { template: "   " }],
  ["template_syntax", 400, { template: "<svg>\n {% if %}</svg>" }],
  ["template_syntax", 400, { template: "<svg>\n  {{ x | nofilter }}</svg>" }],
  ["template_too_large", 400, { template: `<svg>${"x".repeat(2100)}</svg>` }],
  ["args_too_large", 400, { template: SVG, args: { a: "x".repeat(1100) } }],
  ["args_too_deep", 400, { template: SVG, args: deep }],
  ["args_too_many_keys", 400, { template: SVG, args: Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`k${i}`, i])) }],
  ["invalid_args", 400, { template: SVG, args: { a: "\u0001" } }],
  ["frame_too_large", 400, { template: "<svg>{% for i in (1..300) %}xxxxxxxxxx{% endfor %}</svg>" }],
  ["frame_not_svg", 400, { template: "<svg>\n  <g>\n</svg>" }],
  ["frame_not_svg", 400, { template: "plain {{ n }}", args: { n: 1 } }],
  ["frame_too_deep", 400, { template: `<svg>${"<g>".repeat(9)}${"</g>".repeat(9)}</svg>` }],
  ["render_limit_exceeded", 400, { template: "<svg>\n{% for i in (1..100000000) %}{{ i }}{% endfor %}</svg>" }],
  ["render_failed", 400, { template: "<svg>{% include 'a' %}</svg>" }],
  ["element_not_allowed", 400, { template: "<div><script>x</script></div>", kind: "html", width: 100, height: 40 }],
  ["event_handler", 400, { template: `<div onclick="x">a</div>`, kind: "html", width: 100, height: 40 }],
  ["external_reference", 400, { template: `<img src="http://example.com/a.png" width="10" height="10" />`, kind: "html", width: 100, height: 40 }],
  ["markup_syntax", 400, { template: "<div>a", kind: "html", width: 100, height: 40 }],
  ["payload_too_large", 413, { template: `<svg>${"x".repeat(9000)}</svg>` }],
  ["unsupported_media_type", 415, { template: SVG }, { "Content-Type": "text/plain" }],
];

describe("preview refuses what create refuses, with the same status and body", () => {
  it.each(REFUSED)("%s (%i), bad body #%#", async (code, status, body, headers) => {
    const before = store.usage();
    const [previewed, created] = await Promise.all([preview(body, headers), create(body, headers)]);
    const [previewJson, createJson] = [await previewed.json(), await created.json()];
    expect(previewed.status).toBe(status);
    expect(previewJson).toMatchObject({ code });
    expect(created.status).toBe(status);
    expect(previewJson).toEqual(createJson);
    expect(store.usage()).toEqual(before);
  });

  it("template errors say where: line and column in the template, frame_line and frame_column in the frame", async () => {
    expect(await (await preview({ template: "<svg>\n {% if %}</svg>" })).json()).toMatchObject({ code: "template_syntax", line: 2, column: 7 });
    expect(await (await preview({ template: "<svg>\n\n   {% include 'a' %}</svg>" })).json()).toMatchObject({ code: "render_failed", line: 3, column: 4 });
    const frame = (await (await preview({ template: "<svg>\n  <g>{{ x }}\n</svg>", args: { x: 1 } })).json()) as Record<string, unknown>;
    expect(frame).toMatchObject({ code: "frame_not_svg", frame_line: 3, frame_column: 1 });
    expect(frame).not.toHaveProperty("line");
  });

  it("PUT and PATCH with a template carry the position too", async () => {
    const created = await post("/api/session", { session_id: "positions", template: SVG, args: { label: "x", n: 1 } });
    const { write_token: token } = (await created.json()) as { write_token: string };
    for (const method of ["PUT", "PATCH"]) {
      const answer = await fetch(`${server.url}/api/session/positions`, {
        method,
        headers: { "Content-Type": "application/json", Authorization: `Bearer ${token}` },
        body: JSON.stringify({ args: {}, template: "<svg>\n\n  {{ x | nofilter }}</svg>" }),
      });
      expect(answer.status).toBe(400);
      expect(await answer.json()).toMatchObject({ code: "template_syntax", line: 3, column: 3 });
    }
  });
});

describe("the preview route", () => {
  it("answers GET and HEAD with 405 and Allow", async () => {
    for (const method of ["GET", "HEAD"]) {
      const answer = await fetch(`${server.url}/api/preview`, { method });
      expect(answer.status).toBe(405);
      expect(answer.headers.get("allow")).toBe("POST, OPTIONS");
    }
  });

  it("is a write for CORS: allowed from CORS_ORIGINS only", async () => {
    const allowed = await preview({ template: SVG, args: { label: "x", n: 1 } }, { Origin: STUDIO });
    expect(allowed.headers.get("access-control-allow-origin")).toBe(STUDIO);
    const other = await preview({ template: SVG, args: { label: "x", n: 1 } }, { Origin: "https://elsewhere.example" });
    expect(other.headers.get("access-control-allow-origin")).toBeNull();
    const preflight = await fetch(`${server.url}/api/preview`, {
      method: "OPTIONS",
      headers: { Origin: STUDIO, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type" },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get("access-control-allow-methods")).toContain("POST");
  });
});

/** A POST whose body never finishes: the request stays admitted until it is destroyed. */
function hangingPreview(url: string): ClientRequest {
  const request = httpRequest(`${url}/api/preview`, {
    method: "POST",
    headers: { "Content-Type": "application/json", "Content-Length": "1000" },
  });
  request.on("error", () => undefined);
  request.write('{"template": "');
  return request;
}

/** Asks until `expected` answers: the held requests are admitted some time after they were sent. */
async function eventually(ask: () => Promise<Response>, expected: number): Promise<Response> {
  const deadline = Date.now() + 5_000;
  for (;;) {
    const answer = await ask();
    if (answer.status === expected || Date.now() > deadline) return answer;
    await answer.arrayBuffer();
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe("MAX_PREVIEWS_PER_CLIENT on the Node host", () => {
  it("a client's third preview in flight gets 429 too_many_previews; answered ones free their slot", async () => {
    const held = [hangingPreview(server.url), hangingPreview(server.url)];
    const body = { template: SVG, args: { label: "x", n: 1 } };
    const refused = await eventually(() => preview(body), 429);
    expect(refused.status).toBe(429);
    expect(refused.headers.get("retry-after")).toBe("1");
    expect(await refused.json()).toMatchObject({ code: "too_many_previews" });
    for (const request of held) request.destroy();
    expect((await eventually(() => preview(body), 200)).status).toBe(200);
  });
});

describe("the API key", () => {
  let keyed: RunningServer;
  beforeAll(async () => {
    keyed = await startInProcess(memoryPorts(), { RENDER_WORKERS: "1", API_KEY: "server-key" });
  });
  afterAll(() => keyed?.shutdown());

  it("is needed for a preview exactly when it is needed to create", async () => {
    const body = { template: SVG, args: { label: "x", n: 1 } };
    const both = async (headers: Record<string, string>) => {
      const previewed = await preview(body, headers, keyed.url);
      const created = await post("/api/session", { session_id: `k${++sessions}`, ...body }, headers, keyed.url);
      return [previewed.status, created.status, previewed.headers.get("www-authenticate") !== null];
    };
    expect(await both({})).toEqual([401, 401, true]);
    expect(await both({ Authorization: "Bearer wrong" })).toEqual([403, 403, false]);
    expect(await both({ Authorization: "Bearer server-key" })).toEqual([200, 201, false]);
    // Without API_KEY (the main server) a preview needs no token, as create does not.
    expect((await preview(body)).status).toBe(200);
  });
});

describe("caps with renders held open", () => {
  // The renderers port is the seam: html renders wait for the test to let them finish.
  const waiting: Array<() => void> = [];
  const renderers: Renderers = {
    html: () => new Promise((resolve) => waiting.push(() => resolve("<svg></svg>"))),
    png: () => Promise.reject(new Error("no png here")),
  };
  const app = createApp(memoryPorts(), { renderers, limits: { maxPreviews: 3, maxPreviewsPerClient: 2 }, onError: () => undefined });
  const ask = (client: string) =>
    app.fetch(
      new Request("http://127.0.0.1/api/preview", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ template: "<div>{{ n }}</div>", args: { n: 1 }, kind: "html", width: 10, height: 10 }),
      }),
      { clientAddress: client },
    );
  const rendersStarted = async (count: number) => {
    while (waiting.length < count) await new Promise((resolve) => setTimeout(resolve, 5));
  };

  it("429 for a client's third, 503 previews_busy past MAX_PREVIEWS, and the held ones still answer", async () => {
    const first = [ask("10.0.0.1"), ask("10.0.0.1")];
    await rendersStarted(2);
    const third = await ask("10.0.0.1");
    expect(third.status).toBe(429);
    expect(await third.json()).toMatchObject({ code: "too_many_previews" });

    const other = ask("10.0.0.2");
    await rendersStarted(3);
    const busy = await ask("10.0.0.3");
    expect(busy.status).toBe(503);
    expect(busy.headers.get("retry-after")).toBe("1");
    expect(await busy.json()).toMatchObject({ code: "previews_busy" });

    for (const finish of waiting.splice(0)) finish();
    for (const answer of await Promise.all([...first, other])) {
      expect(answer.status).toBe(200);
      expect(await answer.text()).toBe("<svg></svg>");
    }
    const again = ask("10.0.0.1");
    await rendersStarted(1);
    waiting.splice(0)[0]!();
    expect((await again).status).toBe(200);
  });

  it("a refused render gives its slot back", async () => {
    const failing = createApp(memoryPorts(), { renderers, limits: { maxPreviews: 1, maxPreviewsPerClient: 1 }, onError: () => undefined });
    const bad = () =>
      failing.fetch(
        new Request("http://127.0.0.1/api/preview", { method: "POST", headers: { "Content-Type": "application/json" }, body: "{}" }),
        { clientAddress: "10.0.0.9" },
      );
    for (let i = 0; i < 3; i++) expect((await bad()).status).toBe(400);
  });
});

describe("on the edge host (workerd)", () => {
  let outdir: string;
  let worker: Miniflare | undefined;
  let edge: string;
  beforeAll(async () => {
    outdir = await mkdtemp(join(tmpdir(), "rsvg-edge-preview-"));
    await buildEdge(outdir);
    // A preview never reaches the store, so the Upstash binding may name nothing that answers.
    ({ worker, origin: edge } = await startEdgeWorker(outdir, {
      UPSTASH_REDIS_REST_URL: "http://127.0.0.1:9",
      UPSTASH_REDIS_REST_TOKEN: "unused",
      MAX_PREVIEWS: "1",
    }));
  }, 60_000);
  afterAll(async () => {
    await worker?.dispose();
    if (outdir) await rm(outdir, { recursive: true, force: true });
  });

  it("renders the same frame as the Node host, and refuses with the same bodies", async () => {
    const body = { template: SVG, args: { label: "a<b", n: 1 } };
    const [onEdge, onNode] = await Promise.all([preview(body, {}, edge), preview(body)]);
    expect(onEdge.status).toBe(200);
    expect(onEdge.headers.get("content-security-policy")).toContain("sandbox");
    expect(await onEdge.text()).toBe(await onNode.text());
    const bad = { template: "<svg>\n {% if %}</svg>" };
    const [edgeBad, nodeBad] = await Promise.all([preview(bad, {}, edge), preview(bad)]);
    expect(edgeBad.status).toBe(400);
    expect(await edgeBad.json()).toEqual(await nodeBad.json());
  });

  it("caps previews per isolate with MAX_PREVIEWS: 503 previews_busy", async () => {
    let finish!: () => void;
    const held = fetch(`${edge}/api/preview`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: new ReadableStream({
        start(controller) {
          controller.enqueue(new TextEncoder().encode('{"template": "<svg/>"'));
          finish = () => {
            controller.enqueue(new TextEncoder().encode("}"));
            controller.close();
          };
        },
      }),
      duplex: "half",
    } as RequestInit);
    const body = { template: SVG, args: { label: "x", n: 1 } };
    const busy = await eventually(() => preview(body, {}, edge), 503);
    expect(busy.status).toBe(503);
    expect(await busy.json()).toMatchObject({ code: "previews_busy" });
    finish();
    expect((await held).status).toBe(200);
    expect((await preview(body, {}, edge)).status).toBe(200);
  });
});
