/**
 * HTTP as clients and browsers expect it: HEAD on every GET route, 405 with Allow, JSON writes
 * typed as JSON, CORS (reads from anywhere, writes from listed origins), and the SVG security
 * headers on every answer of an image route, errors included.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningServer } from "../runtime/node/server.js";
import { memoryPorts } from "../runtime/stores/memory.js";
import { startInProcess } from "./support/server.js";

const CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; sandbox";
const WRITER = "https://app.example.com";
const frame = (n: number) => `<svg xmlns="http://www.w3.org/2000/svg" width="20" height="20"><rect width="${n}" height="20"/></svg>`;

describe("HTTP manners", () => {
  let server: RunningServer;
  let base: string;
  let token: string;

  beforeAll(async () => {
    server = await startInProcess(memoryPorts(), { CORS_ORIGINS: `${WRITER}, http://localhost:3000` });
    base = server.url;
    const created = await fetch(`${base}/api/session`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ session_id: "manners", template: frame(0).replace('width="0"', 'width="{{ n }}"'), args: { n: 1 } }),
    });
    expect(created.status).toBe(201);
    token = ((await created.json()) as { write_token: string }).write_token;
  });
  afterAll(async () => {
    await server.shutdown();
  });

  describe("HEAD", () => {
    it.each(["/health", "/ready", "/api/session/manners", "/svg/manners", "/png/manners", "/session/manners", "/metrics"])(
      "answers HEAD %s as GET does, without a body",
      async (path) => {
        const get = await fetch(`${base}${path}`);
        const getBody = new Uint8Array(await get.arrayBuffer());
        const head = await fetch(`${base}${path}`, { method: "HEAD" });
        expect(head.status).toBe(get.status);
        expect(head.status).toBe(200);
        expect(head.headers.get("content-type")).toBe(get.headers.get("content-type"));
        expect(head.headers.get("etag")).toBe(get.headers.get("etag"));
        expect(head.headers.get("cache-control")).toBe(get.headers.get("cache-control"));
        if (!path.startsWith("/session/") && !path.startsWith("/metrics")) {
          // The page's nonce and the metrics' counters change between two answers; the rest do not.
          expect(Number(head.headers.get("content-length"))).toBe(getBody.byteLength);
        }
        expect((await head.arrayBuffer()).byteLength).toBe(0);
      },
    );

    it("answers HEAD /stream/ID with the stream's head and opens no stream", async () => {
      const head = await fetch(`${base}/stream/manners`, { method: "HEAD" });
      expect(head.status).toBe(200);
      expect(head.headers.get("content-type")).toMatch(/^multipart\/x-mixed-replace; boundary=rsvg[0-9a-f]{32}$/);
      expect(head.headers.get("x-content-type-options")).toBe("nosniff");
      expect(head.headers.get("content-security-policy")).toBe(CSP);
      expect((await head.arrayBuffer()).byteLength).toBe(0);
      expect(server.app.hub.viewerCount).toBe(0);
      expect(server.app.hub.channelCount).toBe(0);
      expect((await fetch(`${base}/stream/nope`, { method: "HEAD" })).status).toBe(404);
    });

    it("is 404 on unknown paths, as GET is", async () => {
      expect((await fetch(`${base}/nothing-here`, { method: "HEAD" })).status).toBe(404);
      expect((await fetch(`${base}/svg/missing`, { method: "HEAD" })).status).toBe(404);
    });
  });

  describe("a known path with a wrong method", () => {
    it.each([
      ["POST", "/health", "GET, HEAD, OPTIONS"],
      ["DELETE", "/stream/manners", "GET, HEAD, OPTIONS"],
      ["PUT", "/svg/manners", "GET, HEAD, OPTIONS"],
      ["GET", "/api/session", "POST, OPTIONS"],
      ["POST", "/api/session/manners", "GET, HEAD, PUT, PATCH, DELETE, OPTIONS"],
    ])("%s %s is 405 with Allow: %s", async (method, path, allow) => {
      const response = await fetch(`${base}${path}`, { method, headers: { "Content-Type": "application/json" }, body: method === "GET" ? undefined : "{}" });
      expect(response.status).toBe(405);
      expect(response.headers.get("allow")).toBe(allow);
      expect(await response.json()).toMatchObject({ code: "method_not_allowed" });
    });

    it("an unknown path is still 404, whatever the method", async () => {
      const response = await fetch(`${base}/nowhere`, { method: "DELETE" });
      expect(response.status).toBe(404);
      expect(await response.json()).toMatchObject({ code: "not_found" });
    });
  });

  describe("API writes are JSON", () => {
    it.each([
      ["absent", undefined],
      ["text/plain", "text/plain"],
      ["form", "application/x-www-form-urlencoded"],
      ["json-ish", "application/jsonp"],
    ])("refuses a create whose Content-Type is %s with 415, creating nothing", async (_name, type) => {
      const body = new TextEncoder().encode(JSON.stringify({ session_id: "simple-request", template: "<svg/>" }));
      // A Uint8Array body gets no Content-Type of its own, so "absent" is really absent.
      const response = await fetch(`${base}/api/session`, { method: "POST", headers: type ? { "Content-Type": type } : {}, body });
      expect(response.status).toBe(415);
      expect(await response.json()).toMatchObject({ code: "unsupported_media_type" });
      expect((await fetch(`${base}/api/session/simple-request`)).status).toBe(404);
    });

    it("refuses an untyped PATCH even with a valid token", async () => {
      const response = await fetch(`${base}/api/session/manners`, {
        method: "PATCH",
        headers: { Authorization: `Bearer ${token}` },
        body: new TextEncoder().encode(JSON.stringify({ args: { n: 2 } })),
      });
      expect(response.status).toBe(415);
      expect(await (await fetch(`${base}/svg/manners`)).text()).toBe(frame(1));
    });

    it("accepts application/json with parameters and +json types", async () => {
      for (const [i, type] of ["application/json; charset=utf-8", "application/merge-patch+json"].entries()) {
        const response = await fetch(`${base}/api/session/manners`, {
          method: "PATCH",
          headers: { Authorization: `Bearer ${token}`, "Content-Type": type },
          body: JSON.stringify({ args: { n: 10 + i } }),
        });
        expect(response.status, type).toBe(200);
      }
    });
  });

  describe("CORS", () => {
    it("lets any origin read images, sessions and pages, with no Vary on Origin", async () => {
      for (const path of ["/svg/manners", "/png/manners", "/api/session/manners", "/session/manners"]) {
        const response = await fetch(`${base}${path}`, { headers: { Origin: "https://elsewhere.example" } });
        expect(response.status, path).toBe(200);
        expect(response.headers.get("access-control-allow-origin"), path).toBe("*");
        expect(response.headers.get("vary") ?? "", path).not.toMatch(/origin/i);
      }
      const missing = await fetch(`${base}/svg/missing`, { headers: { Origin: "https://elsewhere.example" } });
      expect(missing.headers.get("access-control-allow-origin")).toBe("*");
    });

    it("answers a read preflight from any origin", async () => {
      const response = await fetch(`${base}/svg/manners`, {
        method: "OPTIONS",
        headers: { Origin: "https://elsewhere.example", "Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": "if-none-match" },
      });
      expect(response.status).toBe(204);
      expect(response.headers.get("access-control-allow-origin")).toBe("*");
      expect(response.headers.get("access-control-allow-methods")).toBe("GET, HEAD");
      expect(response.headers.get("access-control-allow-headers")).toMatch(/If-None-Match/);
    });

    it("answers a write preflight from a listed origin with the allow headers", async () => {
      const response = await fetch(`${base}/api/session/manners`, {
        method: "OPTIONS",
        headers: { Origin: WRITER, "Access-Control-Request-Method": "PATCH", "Access-Control-Request-Headers": "authorization, content-type" },
      });
      expect(response.status).toBe(204);
      expect(response.headers.get("access-control-allow-origin")).toBe(WRITER);
      expect(response.headers.get("access-control-allow-methods")).toBe("GET, HEAD, PUT, PATCH, DELETE");
      expect(response.headers.get("access-control-allow-headers")).toBe("Authorization, Content-Type, If-None-Match, Last-Event-ID");
      expect(Number(response.headers.get("access-control-max-age"))).toBeGreaterThan(0);
      expect(response.headers.get("vary")).toMatch(/Origin/);
    });

    it("answers a write preflight from another origin without them", async () => {
      for (const path of ["/api/session", "/api/session/manners"]) {
        const response = await fetch(`${base}${path}`, {
          method: "OPTIONS",
          headers: { Origin: "https://evil.example", "Access-Control-Request-Method": path === "/api/session" ? "POST" : "DELETE" },
        });
        expect(response.status, path).toBe(204);
        expect(response.headers.get("access-control-allow-origin"), path).toBeNull();
        expect(response.headers.get("access-control-allow-methods"), path).toBeNull();
        expect(response.headers.get("vary"), path).toMatch(/Origin/);
      }
    });

    it("marks write answers for the listed origin only, and varies on Origin", async () => {
      const write = (origin: string) =>
        fetch(`${base}/api/session/manners`, {
          method: "PATCH",
          headers: { Origin: origin, Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
          body: JSON.stringify({ args: { n: 3 } }),
        });
      const listed = await write(WRITER);
      expect(listed.status).toBe(200);
      expect(listed.headers.get("access-control-allow-origin")).toBe(WRITER);
      expect(listed.headers.get("vary")).toMatch(/Origin/);
      const other = await write("https://evil.example");
      expect(other.headers.get("access-control-allow-origin")).toBeNull();
      expect(other.headers.get("vary")).toMatch(/Origin/);
    });

    it("answers a plain OPTIONS with Allow, and puts no CORS headers on probes", async () => {
      const options = await fetch(`${base}/api/session/manners`, { method: "OPTIONS" });
      expect(options.status).toBe(204);
      expect(options.headers.get("allow")).toBe("GET, HEAD, PUT, PATCH, DELETE, OPTIONS");
      const health = await fetch(`${base}/health`, { headers: { Origin: "https://elsewhere.example" } });
      expect(health.headers.get("access-control-allow-origin")).toBeNull();
    });
  });

  describe("image routes carry nosniff and the CSP on every answer", () => {
    it.each([
      ["/svg/manners", 200],
      ["/svg/missing", 404],
      ["/svg/bad%20id", 400],
      ["/png/missing", 404],
      ["/png/manners?scale=99", 400],
      ["/stream/missing", 404],
      ["/stream/manners?keep_alive=1", 400],
      ["/stream/bad%20id", 400],
    ])("GET %s (%i)", async (path, status) => {
      const response = await fetch(`${base}${path}`);
      expect(response.status).toBe(status);
      expect(response.headers.get("x-content-type-options")).toBe("nosniff");
      expect(response.headers.get("content-security-policy")).toBe(CSP);
      await response.body?.cancel();
    });
  });
});

describe("CORS with nothing configured", () => {
  it("allows writes from no origin, and reads from any", async () => {
    const server = await startInProcess(memoryPorts());
    try {
      const preflight = await fetch(`${server.url}/api/session`, {
        method: "OPTIONS",
        headers: { Origin: WRITER, "Access-Control-Request-Method": "POST" },
      });
      expect(preflight.status).toBe(204);
      expect(preflight.headers.get("access-control-allow-origin")).toBeNull();
      const read = await fetch(`${server.url}/api/session/x`, { headers: { Origin: WRITER } });
      expect(read.headers.get("access-control-allow-origin")).toBe("*");
    } finally {
      await server.shutdown();
    }
  });

  it("with CORS_ORIGINS=* allows writes from any origin", async () => {
    const server = await startInProcess(memoryPorts(), { CORS_ORIGINS: "*" });
    try {
      const preflight = await fetch(`${server.url}/api/session`, {
        method: "OPTIONS",
        headers: { Origin: "https://anyone.example", "Access-Control-Request-Method": "POST" },
      });
      expect(preflight.headers.get("access-control-allow-origin")).toBe("*");
      expect(preflight.headers.get("access-control-allow-methods")).toBe("POST");
    } finally {
      await server.shutdown();
    }
  });
});
