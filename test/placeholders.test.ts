/**
 * Over HTTP on the Node host (its render processes draw the PNG): image URLs of a missing or
 * deleted session answer image requests with a placeholder picture and API clients with JSON.
 */
import { PNG } from "pngjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningServer } from "../runtime/node/server.js";
import { memoryPorts } from "../runtime/stores/memory.js";
import { startInProcess } from "./support/server.js";

const CHROMIUM_IMG = { "Sec-Fetch-Dest": "image", Accept: "image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8" };

describe("placeholders for sessions that are not there", () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startInProcess(memoryPorts(), { RENDER_WORKERS: "1" });
    const created = await fetch(`${server.url}/api/session`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ session_id: "gone", template: "<svg/>" }),
    });
    const { write_token } = (await created.json()) as { write_token: string };
    const deleted = await fetch(`${server.url}/api/session/gone`, { method: "DELETE", headers: { Authorization: `Bearer ${write_token}` } });
    expect(deleted.status).toBe(204);
  }, 30_000);
  afterAll(async () => {
    await server?.shutdown();
  });

  const get = (path: string, headers: Record<string, string> = {}) => fetch(`${server.url}${path}`, { headers });

  function expectPlaceholderHeaders(response: Response, type: RegExp) {
    expect(response.status).toBe(404);
    expect(response.headers.get("content-type")).toMatch(type);
    expect(response.headers.get("cache-control")).toBe("no-store");
    expect(response.headers.get("x-content-type-options")).toBe("nosniff");
    expect(response.headers.get("content-security-policy")).toBe("default-src 'none'; style-src 'unsafe-inline'; img-src data:; sandbox");
    expect(response.headers.get("access-control-allow-origin")).toBe("*");
  }

  it.each([
    ["/svg", CHROMIUM_IMG],
    ["/svg", { "Sec-Fetch-Dest": "image" }],
    ["/svg", { Accept: "image/*" }],
    ["/stream", CHROMIUM_IMG],
    ["/stream", { "Sec-Fetch-Dest": "image", Accept: "image/avif,image/webp,*/*" }],
  ])("%s of a missing session answers %j with the SVG placeholder", async (route, headers) => {
    const response = await get(`${route}/ghost`, headers);
    expectPlaceholderHeaders(response, /^image\/svg\+xml/);
    expect(await response.text()).toContain(">session not found</text>");
  });

  it("/stream and /svg of a deleted session say it ended", async () => {
    for (const route of ["/svg", "/stream"]) {
      const response = await get(`${route}/gone`, CHROMIUM_IMG);
      expectPlaceholderHeaders(response, /^image\/svg\+xml/);
      expect(await response.text()).toContain(">session ended</text>");
    }
  });

  it.each([
    ["/svg", {}],
    ["/svg", { Accept: "*/*" }],
    ["/stream", { Accept: "application/json" }],
    ["/stream", { Accept: "*/*", "User-Agent": "curl/8.5.0" }],
  ])("%s answers an API client (%j) with the JSON 404", async (route, headers) => {
    const response = await get(`${route}/ghost`, headers);
    expect(response.status).toBe(404);
    expect(response.headers.get("content-type")).toMatch(/^application\/json/);
    expect(await response.json()).toMatchObject({ code: "not_found" });
  });

  it("/png answers with a PNG placeholder whatever the Accept, drawn by the render processes", async () => {
    for (const [id, headers] of [["ghost", {}], ["ghost", { Accept: "application/json" }], ["gone", CHROMIUM_IMG]] as const) {
      const response = await get(`/png/${id}`, headers);
      expectPlaceholderHeaders(response, /^image\/png$/);
      const image = PNG.sync.read(Buffer.from(await response.arrayBuffer()));
      expect([image.width, image.height]).toEqual([180, 28]);
      // The grey badge (#6b7280) with white text on it.
      const at = (x: number, y: number) => Array.from(image.data.subarray((y * image.width + x) * 4, (y * image.width + x) * 4 + 3));
      expect(at(5, 14)).toEqual([0x6b, 0x72, 0x80]);
      let white = 0;
      for (let i = 0; i < image.data.length; i += 4) if (image.data[i]! > 200 && image.data[i + 1]! > 200) white++;
      expect(white).toBeGreaterThan(50);
    }
    const [notFound, ended] = await Promise.all([get("/png/ghost"), get("/png/gone")]);
    expect(Buffer.from(await notFound.arrayBuffer()).equals(Buffer.from(await ended.arrayBuffer()))).toBe(false);
  });

  it("a live session's image URLs are unchanged", async () => {
    await fetch(`${server.url}/api/session`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ session_id: "here", template: "<svg>{{ n }}</svg>", args: { n: 1 } }),
    });
    const svg = await get("/svg/here", CHROMIUM_IMG);
    expect(svg.status).toBe(200);
    expect(await svg.text()).toBe("<svg>1</svg>");
  });
});
