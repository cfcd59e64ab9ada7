/**
 * Renders written to hurt the server (found by a black-box attack before render processes existed):
 * F1, PNGs whose filters cost seconds to minutes (feMorphology over 1024² took 2.3 s, over 2048²
 * 69 s, 40 filtered rects minutes, SIGTERM ignored); F2, one html text of 60,000 "W" (4–15 s of
 * synchronous layout); F3, 20,000 Hangul syllables (1.5 GB of heap). Each held /health as long.
 *
 * Now, on a real server with a 512 MB heap (the pod limit): while each runs, /health answers
 * within a second; the attack ends within its deadline + 1 s with a JSON 4xx; an open stream
 * still gets the next frame. Once with the default bounds (which refuse all of them before they
 * render), once with the bounds raised so that only the render processes' deadlines and heap
 * ceiling stop them. Bounds are loose on purpose: this runs on a loaded 2-core machine.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AppError } from "../handlers/http/errors.js";
import { DEFAULT_LIMITS } from "../handlers/options.js";
import { KILL_MARGIN_MS, RenderPool } from "../runtime/node/render-pool.js";
import { readMultipart, type StreamReader } from "./support/multipart.js";
import { spawnServer, type ServerProcess } from "./support/server.js";

const HEAP = { NODE_OPTIONS: "--max-old-space-size=512" };
const RENDER_TIMEOUT_MS = DEFAULT_LIMITS.renderTimeoutMs;
/** Much shorter than the default (2000), so the raised-bounds runs stay short. */
const PNG_TIMEOUT_MS = 1_000;

const hangul = (n: number) => Array.from({ length: n }, (_, i) => String.fromCodePoint(0xac00 + (i % 200))).join("");
const flex = (text: string) => `<div style="display:flex;width:100%;height:100%">${text}</div>`;
const filtered = (size: number, filter: string, body: string) =>
  `<svg xmlns="http://www.w3.org/2000/svg" width="${size}" height="${size}"><defs><filter id="f">${filter}</filter></defs>${body}</svg>`;

interface Attack {
  name: string;
  kind: "png" | "html";
  /** An svg template (png) or html markup. */
  template: string;
}

const ATTACKS: Attack[] = [
  { name: "F1 feMorphology radius 10 over 1024²", kind: "png", template: filtered(1024, `<feMorphology radius="10"/>`, `<rect width="1024" height="1024" fill="#3a6" filter="url(#f)"/>`) },
  { name: "F1 feMorphology radius 20 over 2048²", kind: "png", template: filtered(2048, `<feMorphology radius="20"/>`, `<rect width="2048" height="2048" fill="#3a6" filter="url(#f)"/>`) },
  {
    name: "F1 40 rects with blur, morphology and turbulence",
    kind: "png",
    template: filtered(
      1024,
      `<feGaussianBlur stdDeviation="8"/><feMorphology radius="6"/><feTurbulence baseFrequency="0.02" numOctaves="10"/>`,
      Array.from({ length: 40 }, (_, i) => `<rect x="${i * 20}" y="${i * 10}" width="600" height="600" fill="#a36" filter="url(#f)"/>`).join(""),
    ),
  },
  { name: "F2 60,000 W in one text", kind: "html", template: flex("W".repeat(60_000)) },
  { name: "F3 20,000 Hangul syllables in one text", kind: "html", template: flex(hangul(20_000)) },
];

/** The longest an attack may take: its hard deadline, plus a second. */
const allowedMs = (attack: Attack) => (attack.kind === "png" ? PNG_TIMEOUT_MS : RENDER_TIMEOUT_MS + KILL_MARGIN_MS) + 1_000;

async function create(url: string, id: string, body: Record<string, unknown>) {
  const response = await fetch(`${url}/api/session`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ session_id: id, ...body }),
  });
  return { status: response.status, json: (await response.json()) as Record<string, string> };
}

/** Runs `attack` while polling /health every 100 ms; returns the attack's answer and the slowest /health. */
async function underAttack(url: string, attack: () => Promise<Response>) {
  let running = true;
  let slowestHealthMs = 0;
  let healthChecks = 0;
  const poll = (async () => {
    while (running) {
      const started = performance.now();
      const health = await fetch(`${url}/health`, { signal: AbortSignal.timeout(30_000) });
      await health.arrayBuffer();
      slowestHealthMs = Math.max(slowestHealthMs, performance.now() - started);
      healthChecks++;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  })();
  const started = performance.now();
  const response = await attack();
  const body = (await response.json()) as { code?: string };
  const ms = performance.now() - started;
  running = false;
  await poll;
  return { status: response.status, code: body.code, ms, slowestHealthMs, healthChecks };
}

/** One spawned server: a live stream, and each attack in turn. */
function attackSuite(env: Record<string, string>, expected: Record<string, RegExp>) {
  let server: ServerProcess;
  let stream: StreamReader;
  let token: string;
  let n = 0;

  beforeAll(async () => {
    server = await spawnServer({ ...HEAP, PNG_TIMEOUT_MS: String(PNG_TIMEOUT_MS), ...env });
    const live = await create(server.url, "live", { template: `<svg xmlns="http://www.w3.org/2000/svg" width="8" height="8"><text>{{ n }}</text></svg>`, args: { n: 0 } });
    expect(live.status).toBe(201);
    token = live.json["write_token"]!;
    stream = readMultipart(await fetch(`${server.url}/stream/live`));
    expect(await stream.next(10_000)).toContain("<text>0</text>");
  });
  afterAll(async () => {
    stream?.close();
    await server?.stop();
  });

  /** A small html render and PNG: the render processes are up (one killed by the last attack has been replaced). */
  async function warm() {
    const id = `warm-${n++}`;
    expect((await create(server.url, id, { template: flex("warm"), kind: "html", width: 40, height: 20 })).status).toBe(201);
    expect((await fetch(`${server.url}/png/${id}`)).status).toBe(200);
  }

  it.each(ATTACKS)("$name: /health answers within 1 s while it runs; it ends within its deadline + 1 s, as JSON", async (attack) => {
    await warm();
    const id = `attack-${n++}`;
    const result = await underAttack(server.url, async () => {
      if (attack.kind === "html") {
        return fetch(`${server.url}/api/session`, {
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify({ session_id: id, template: attack.template, kind: "html", width: 1024, height: 1024 }),
        });
      }
      expect((await create(server.url, id, { template: attack.template })).status).toBe(201);
      return fetch(`${server.url}/png/${id}`);
    });
    expect(result.status, JSON.stringify(result)).toBeGreaterThanOrEqual(400);
    expect(result.status).toBeLessThan(500);
    expect(result.code).toMatch(expected[attack.kind]!);
    expect(result.healthChecks).toBeGreaterThan(0);
    expect(result.slowestHealthMs, "slowest /health, ms").toBeLessThan(1_000);
    expect(result.ms, "attack, ms").toBeLessThan(allowedMs(attack));
  });

  it("keeps serving: the open stream gets a frame written after the attacks, and the server still renders", async () => {
    const patch = await fetch(`${server.url}/api/session/live`, {
      method: "PATCH",
      headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
      body: JSON.stringify({ args: { n: 1 } }),
    });
    expect(patch.status).toBe(200);
    expect(await stream.next(10_000)).toContain("<text>1</text>");
    await warm();
    expect(server.process.exitCode).toBeNull();
  });

  return { url: () => server.url, warm };
}

describe("hostile renders, default bounds: refused before they render", () => {
  attackSuite({}, { png: /^png_render_limit_exceeded$/, html: /^markup_text_too_long$/ });
});

describe("hostile renders, bounds raised: stopped by the render processes' deadlines", () => {
  const suite = attackSuite(
    { MAX_HTML_TEXT: "100000", MAX_PNG_FILTER_RADIUS: "1000", MAX_PNG_FILTER_PIXELS: "17179869184" },
    { png: /^png_render_limit_exceeded$/, html: /^render_limit_exceeded$/ },
  );

  it("does not render again a PNG that ran out of time: the failure is remembered for that frame version and scale", async () => {
    await suite.warm();
    const url = suite.url();
    expect((await create(url, "slow-png", { template: ATTACKS[1]!.template })).status).toBe(201);
    const timed = async () => {
      const started = performance.now();
      const response = await fetch(`${url}/png/slow-png`);
      return { status: response.status, code: ((await response.json()) as { code: string }).code, ms: performance.now() - started };
    };
    const first = await timed();
    expect(first).toMatchObject({ status: 422, code: "png_render_limit_exceeded" });
    expect(first.ms).toBeGreaterThan(PNG_TIMEOUT_MS * 0.9);
    for (let i = 0; i < 3; i++) {
      const again = await timed();
      expect(again).toMatchObject({ status: 422, code: "png_render_limit_exceeded" });
      expect(again.ms, "a remembered failure, ms").toBeLessThan(PNG_TIMEOUT_MS / 2);
    }
    // Another scale is another render, and fails the same way.
    expect((await fetch(`${url}/png/slow-png?scale=2`)).status).toBe(422);
  });
});

describe("the render pool, in this process from source", () => {
  const pools: RenderPool[] = [];
  const pool = (options: Partial<ConstructorParameters<typeof RenderPool>[0]> = {}) => {
    const made = new RenderPool({ workers: 1, memoryBytes: 128 << 20, queue: 4, pngTimeoutMs: PNG_TIMEOUT_MS, limits: DEFAULT_LIMITS, ...options });
    pools.push(made);
    return made;
  };
  afterAll(() => Promise.all(pools.map((p) => p.close())));

  it("stops an html render past its heap ceiling, and the next render works", { timeout: 60_000 }, async () => {
    // Budget and text raised so that only the heap ceiling can stop it (20,000 syllables took 1.5 GB).
    const roomy = pool({ memoryBytes: 64 << 20, limits: { ...DEFAULT_LIMITS, maxHtmlText: 100_000, renderTimeoutMs: 60_000 } });
    expect(await roomy.html(flex("ready"), 40, 20)).toMatch(/^<svg/);
    await expect(roomy.html(flex(hangul(20_000)), 1024, 1024)).rejects.toMatchObject({
      code: "render_limit_exceeded",
      message: expect.stringMatching(/memory/),
    });
    expect(roomy.replaced.memory).toBe(1);
    expect(await roomy.html(flex("after"), 40, 20)).toMatch(/^<svg/);
  });

  it("answers 503 render_busy beyond the free processes and RENDER_QUEUE, and serves the rest", async () => {
    const small = pool({ queue: 1, limits: { ...DEFAULT_LIMITS, maxHtmlText: 100_000 } });
    await small.html(flex("ready"), 40, 20);
    const slow = () => small.html(flex("W".repeat(60_000)), 1024, 1024);
    const results = await Promise.allSettled([slow(), slow(), slow()]);
    const codes = results.map((r) => (r.status === "rejected" ? (r.reason as AppError).code : "ok"));
    // One runs, one waits, one is refused at once.
    expect(codes.sort()).toEqual(["render_busy", "render_limit_exceeded", "render_limit_exceeded"]);
    const busy = results.find((r) => r.status === "rejected" && (r.reason as AppError).code === "render_busy") as PromiseRejectedResult;
    expect((busy.reason as AppError).status).toBe(503);
    expect((busy.reason as AppError).headers["Retry-After"]).toBe("1");
    expect(await small.html(flex("after"), 40, 20)).toMatch(/^<svg/);
  });

  it("keeps the input's own errors, and draws PNGs", async () => {
    const plain = pool();
    await expect(plain.html("<script>x</script>", 40, 20)).rejects.toMatchObject({ code: "element_not_allowed", status: 400 });
    await expect(plain.png("not svg", 1)).rejects.toMatchObject({ code: "frame_not_renderable" });
    const png = await plain.png(`<svg xmlns="http://www.w3.org/2000/svg" width="10" height="4"><rect width="10" height="4"/></svg>`, 2);
    expect(Array.from(png.subarray(1, 4))).toEqual([0x50, 0x4e, 0x47]); // "PNG"
    expect(plain.replaced).toEqual({ deadline: 0, memory: 0, kept: 0, crashed: 0 });
  });
});
