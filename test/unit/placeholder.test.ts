/** Image URLs of sessions that are not there answer image requests with a picture, API clients with JSON. */
import { describe, expect, it } from "vitest";
import { createApp } from "../../handlers/app.js";
import { AppError } from "../../handlers/http/errors.js";
import { placeholderSvg } from "../../handlers/http/placeholder.js";
import type { Renderers } from "../../handlers/ports/renderers.js";
import { checkSvgFrame } from "../../handlers/rendering/svg-check.js";
import { memoryPorts } from "../../runtime/stores/memory.js";

const IMG = { "Sec-Fetch-Dest": "image", Accept: "image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8" };
const PNG_BYTES = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3]);

/** Renderers whose PNG is a fixed byte string, counting how often it is asked for. */
function countingRenderers(fail?: AppError) {
  const calls: string[] = [];
  const renderers: Renderers = {
    html: () => Promise.reject(new Error("unused")),
    png: async (svg) => {
      calls.push(svg);
      if (fail) throw fail;
      return PNG_BYTES.slice() as Uint8Array<ArrayBuffer>;
    },
  };
  return { renderers, calls };
}

function app(renderers?: Renderers) {
  return createApp(memoryPorts(), { onError: () => {}, ...(renderers ? { renderers } : {}) });
}

const get = (a: ReturnType<typeof app>, path: string, headers: Record<string, string> = {}, method = "GET") =>
  a.fetch(new Request(`http://app.test${path}`, { method, headers }));

async function deletedSession(a: ReturnType<typeof app>, id: string) {
  const created = await a.fetch(
    new Request("http://app.test/api/session", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ session_id: id, template: "<svg/>" }),
    }),
  );
  const { write_token } = (await created.json()) as { write_token: string };
  const deleted = await a.fetch(new Request(`http://app.test/api/session/${id}`, { method: "DELETE", headers: { Authorization: `Bearer ${write_token}` } }));
  expect(deleted.status).toBe(204);
}

function expectImageHeaders(response: Response, type: string) {
  expect(response.status).toBe(404);
  expect(response.headers.get("content-type")).toBe(type);
  expect(response.headers.get("cache-control")).toBe("no-store");
  expect(response.headers.get("x-content-type-options")).toBe("nosniff");
  expect(response.headers.get("content-security-policy")).toContain("default-src 'none'");
}

describe("a missing session's image URLs", () => {
  it.each(["/svg/ghost", "/stream/ghost"])("%s answers an image request with the SVG placeholder", async (path) => {
    const response = await get(app(), path, IMG);
    expectImageHeaders(response, "image/svg+xml; charset=utf-8");
    expect(await response.text()).toBe(placeholderSvg(false));
  });

  it.each(["/svg/ghost", "/stream/ghost"])("%s answers an API client with the JSON 404", async (path) => {
    const apiClients: Record<string, string>[] = [{}, { Accept: "*/*" }, { Accept: "application/json" }, { "Sec-Fetch-Dest": "empty", Accept: "*/*" }];
    for (const headers of apiClients) {
      const response = await get(app(), path, headers);
      expect(response.status).toBe(404);
      expect(response.headers.get("content-type")).toMatch(/^application\/json/);
      expect(await response.json()).toMatchObject({ code: "not_found" });
    }
  });

  it("/png answers every request with the PNG placeholder, rendered once per process and kept", async () => {
    const { renderers, calls } = countingRenderers();
    const a = app(renderers);
    const anyone: Record<string, string>[] = [{}, { Accept: "application/json" }, IMG];
    for (const headers of anyone) {
      const response = await get(a, "/png/ghost", headers);
      expectImageHeaders(response, "image/png");
      expect(new Uint8Array(await response.arrayBuffer())).toEqual(PNG_BYTES);
    }
    await Promise.all(Array.from({ length: 20 }, () => get(a, "/png/other")));
    expect(calls).toEqual([placeholderSvg(false)]);
  });

  it("says the session ended when it was deleted", async () => {
    const { renderers, calls } = countingRenderers();
    const a = app(renderers);
    await deletedSession(a, "gone");
    const svg = await get(a, "/svg/gone", IMG);
    expect(await svg.text()).toBe(placeholderSvg(true));
    expect(placeholderSvg(true)).toContain(">session ended</text>");
    expect(placeholderSvg(false)).toContain(">session not found</text>");
    expect((await get(a, "/png/gone")).status).toBe(404);
    expect(calls).toEqual([placeholderSvg(true)]);
    const json = await get(a, "/stream/gone", { Accept: "application/json" });
    expect(await json.json()).toMatchObject({ code: "not_found" });
  });

  it("/png falls back to the SVG placeholder on a host without PNG support, and does not ask again", async () => {
    const { renderers, calls } = countingRenderers(new AppError("png_unavailable", "no PNG here"));
    const a = app(renderers);
    for (let i = 0; i < 3; i++) {
      const response = await get(a, "/png/ghost");
      expectImageHeaders(response, "image/svg+xml; charset=utf-8");
      expect(await response.text()).toBe(placeholderSvg(false));
    }
    expect(calls.length).toBe(1);
  });

  it("/png tries the render again after a passing failure (a busy render pool)", async () => {
    const { renderers, calls } = countingRenderers(new AppError("render_busy", "busy"));
    const a = app(renderers);
    expect((await get(a, "/png/ghost")).headers.get("content-type")).toMatch(/^image\/svg\+xml/);
    await get(a, "/png/ghost");
    expect(calls.length).toBe(2);
  });

  it("answers HEAD with the placeholder's head, and leaves other errors JSON", async () => {
    const head = await get(app(), "/svg/ghost", IMG, "HEAD");
    expect(head.status).toBe(404);
    expect(head.headers.get("content-type")).toMatch(/^image\/svg\+xml/);
    expect(await head.text()).toBe("");
    const invalid = await get(app(), "/png/not%20an%20id", IMG);
    expect(invalid.status).toBe(400);
    expect(invalid.headers.get("content-type")).toMatch(/^application\/json/);
  });

  it("is a well-formed, small SVG", () => {
    for (const ended of [false, true]) {
      const svg = placeholderSvg(ended);
      expect(svg.length).toBeLessThan(600);
      expect(() => checkSvgFrame(svg, 8)).not.toThrow();
      expect(svg).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" width="180" height="28"/);
      expect(svg).not.toMatch(/<script|href=/);
    }
  });
});
