/**
 * How the Node host answers image streams and session writes: through the same app.fetch as every
 * request, but with a minimal request instead of the Fetch adapter's web Request; a stream's
 * response head and first frame go out in one write to the socket, and the answers
 * to writes are written at the end of the event-loop turn that made them, together.
 */
import { connect, type Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningServer } from "../runtime/node/server.js";
import { memoryPorts } from "../runtime/stores/memory.js";
import { startInProcess } from "./support/server.js";

describe("image streams and writes on the Node host", () => {
  let server: RunningServer;
  const seen: { method: string; url: string; webRequest: boolean }[] = [];
  const writesPerConnection: number[] = [];
  let token = "";

  beforeAll(async () => {
    server = await startInProcess(memoryPorts());
    const fetch = server.app.fetch.bind(server.app);
    server.app.fetch = (request, host) => {
      seen.push({ method: request.method, url: new URL(request.url).pathname, webRequest: request instanceof Request });
      return fetch(request, host);
    };
    // Every write the server makes to each accepted socket: one write() or one writev() each.
    server.server.on("connection", (socket: Socket & { _writev?: unknown; _write?: unknown }) => {
      const index = writesPerConnection.push(0) - 1;
      const write = socket._write as (...args: unknown[]) => unknown;
      const writev = socket._writev as (...args: unknown[]) => unknown;
      socket._write = function (this: Socket, ...args: unknown[]) {
        writesPerConnection[index]!++;
        return write.apply(this, args);
      };
      socket._writev = function (this: Socket, ...args: unknown[]) {
        writesPerConnection[index]!++;
        return writev.apply(this, args);
      };
    });
    const created = await globalThis.fetch(`${server.url}/api/session`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ session_id: "admitted", template: "<svg xmlns='http://www.w3.org/2000/svg'>{{ n }}</svg>", args: { n: 1 } }),
    });
    expect(created.status).toBe(201);
    token = ((await created.json()) as { write_token: string }).write_token;
  });
  afterAll(async () => {
    await server.shutdown();
  });

  /** Opens a raw stream request and resolves with what arrived once the first frame is complete. */
  async function firstFrame(path: string): Promise<{ received: string; connection: number }> {
    const { port } = new URL(server.url);
    const connection = writesPerConnection.length;
    const socket = connect(Number(port), "127.0.0.1");
    socket.on("error", () => {});
    await new Promise((resolve) => socket.once("connect", resolve));
    socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
    let received = "";
    await new Promise<void>((resolve) => {
      socket.on("data", (chunk) => {
        received += String(chunk);
        // the frame, then the next part's boundary and headers (in a chunk of the chunked encoding)
        if (/<\/svg>\r\n--[^\r]+\r\nContent-Type: image\/svg\+xml\r\n\r\n/.test(received)) resolve();
      });
    });
    socket.destroy();
    return { received, connection };
  }

  /**
   * For each answer app.fetch makes from now: had the server written to that connection once the
   * ticks queued meanwhile ran too (Node uncorks a written socket in the next tick)?
   */
  function watchWrittenAtOnce(): { writtenAtOnce: boolean[]; restore(): void } {
    const fetch = server.app.fetch;
    const writtenAtOnce: boolean[] = [];
    server.app.fetch = (request, host) => {
      const connection = writesPerConnection.length - 1;
      const made = fetch(request, host);
      void made.then(() => process.nextTick(() => writtenAtOnce.push(writesPerConnection[connection]! > 0)));
      return made;
    };
    return { writtenAtOnce, restore: () => (server.app.fetch = fetch) };
  }

  it("writes the response head and the first frame in one write", async () => {
    const { received, connection } = await firstFrame("/stream/admitted");
    expect(received).toMatch(/^HTTP\/1\.1 200 /);
    expect(received).toContain("<svg xmlns='http://www.w3.org/2000/svg'>1</svg>");
    expect(writesPerConnection[connection]).toBe(1);
  });

  it("sends a new stream's head and first frame once the turn that admitted it is over", async () => {
    const watch = watchWrittenAtOnce();
    try {
      const { received, connection } = await firstFrame("/stream/admitted");
      expect(received).toMatch(/^HTTP\/1\.1 200 /);
      expect(writesPerConnection[connection]).toBe(1);
    } finally {
      watch.restore();
    }
    expect(watch.writtenAtOnce).toEqual([false]);
  });

  it("hands GET /stream and session writes to the app as a minimal request, everything else as a web Request", async () => {
    seen.length = 0;
    await firstFrame("/stream/admitted?keep_alive=60000");
    expect((await globalThis.fetch(`${server.url}/stream/admitted`, { method: "HEAD" })).status).toBe(200);
    expect((await globalThis.fetch(`${server.url}/svg/admitted`)).status).toBe(200);
    const patched = await globalThis.fetch(`${server.url}/api/session/admitted`, {
      method: "PATCH",
      headers: { "Content-Type": "application/json", Authorization: `Bearer ${token}` },
      body: JSON.stringify({ args: { n: 2 } }),
    });
    expect(patched.status).toBe(200);
    expect(patched.headers.get("content-type")).toMatch(/^application\/json/);
    expect(await patched.json()).toMatchObject({ args: { n: 2 }, version: 2 });
    expect(seen).toEqual([
      { method: "GET", url: "/stream/admitted", webRequest: false },
      { method: "HEAD", url: "/stream/admitted", webRequest: true },
      { method: "GET", url: "/svg/admitted", webRequest: true },
      { method: "PATCH", url: "/api/session/admitted", webRequest: false },
    ]);
  });

  it("writes a write's answer once the turn that made it is over; writes arriving together are each answered in full", async () => {
    const { port } = new URL(server.url);
    const watch = watchWrittenAtOnce();
    const body = JSON.stringify({ args: { n: 3 } });
    const request = `PATCH /api/session/admitted HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nAuthorization: Bearer ${token}\r\nContent-Length: ${body.length}\r\n\r\n${body}`;
    try {
      for (let i = 0; i < 3; i++) {
        const socket = connect(Number(port), "127.0.0.1");
        socket.on("error", () => {});
        await new Promise((resolve) => socket.once("connect", resolve));
        socket.write(request);
        const answer = await new Promise<string>((resolve) => {
          let received = "";
          socket.on("data", (chunk) => {
            received += String(chunk);
            if (/\r\n\r\n\{.*\}$/s.test(received)) resolve(received);
          });
        });
        socket.destroy();
        expect(answer).toMatch(/^HTTP\/1\.1 200 /);
        expect(answer).toContain('"args":{"n":3}');
      }
      expect(watch.writtenAtOnce).toEqual([false, false, false]);
    } finally {
      watch.restore();
    }
    // Writes arriving together, on connections of their own, are all answered, each in full.
    const answers = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        globalThis.fetch(`${server.url}/api/session/admitted`, {
          method: "PATCH",
          headers: { "Content-Type": "application/json", Authorization: `Bearer ${token}`, Connection: "close" },
          body: JSON.stringify({ args: { [`k${i}`]: i } }),
        }),
      ),
    );
    expect(answers.map((answer) => answer.status)).toEqual(Array(8).fill(200));
    const versions = await Promise.all(answers.map(async (answer) => ((await answer.json()) as { version: number }).version));
    expect(new Set(versions).size).toBe(8);
  });

  it("answers what is not a stream on that route as the app makes it: the placeholder, the redirect, a bad option", async () => {
    const missing = await globalThis.fetch(`${server.url}/stream/nothing-here`, { headers: { Accept: "image/*" } });
    expect(missing.status).toBe(404);
    expect(missing.headers.get("content-type")).toMatch(/^image\/svg\+xml/);
    expect(missing.headers.get("content-security-policy")).toContain("sandbox");
    expect(Number(missing.headers.get("content-length"))).toBe((await missing.arrayBuffer()).byteLength);

    const page = await globalThis.fetch(`${server.url}/stream/admitted`, { headers: { "Sec-Fetch-Dest": "document" }, redirect: "manual" });
    expect(page.status).toBe(303);
    expect(page.headers.get("location")).toBe("/session/admitted");

    const bad = await globalThis.fetch(`${server.url}/stream/admitted?keep_alive=1`);
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ code: "invalid_query" });
  });

  it("answers writes with exactly the headers the app gives every answer: CORS, Vary, an error's own, an image route's CSP", async () => {
    const cors = await startInProcess(memoryPorts(), { CORS_ORIGINS: "https://app.example" });
    try {
      const body = JSON.stringify({ session_id: "cors", template: "<svg xmlns='http://www.w3.org/2000/svg'>{{ n }}</svg>", args: { n: 1 } });
      const created = await globalThis.fetch(`${cors.url}/api/session`, { method: "POST", headers: { "Content-Type": "application/json" }, body });
      const write = ((await created.json()) as { write_token: string }).write_token;
      const patch = (token: string | null, origin: string | null) => ({
        method: "PATCH",
        headers: {
          "Content-Type": "application/json",
          ...(token === null ? {} : { Authorization: `Bearer ${token}` }),
          ...(origin === null ? {} : { Origin: origin }),
        },
        body: JSON.stringify({ args: { n: 2 } }),
      });
      // What the network answer adds by itself (and the adapter's answers too).
      const HOP = new Set(["date", "connection", "keep-alive", "content-length", "transfer-encoding"]);
      const named = (headers: Headers) => [...headers].filter(([name]) => !HOP.has(name)).sort();
      for (const [path, init, status] of [
        ["/api/session/cors", patch(write, "https://app.example"), 200],
        ["/api/session/cors", patch(write, "https://elsewhere.example"), 200],
        ["/api/session/cors", patch(write, null), 200],
        ["/api/session/cors", patch(null, "https://app.example"), 401],
        ["/api/session/cors", patch("rsvg_wrong", null), 403],
        ["/stream/no-such-session", { headers: { Accept: "application/json" } }, 404],
      ] as const) {
        const minimal = await globalThis.fetch(`${cors.url}${path}`, init);
        const adapter = await cors.app.fetch(new Request(`${cors.url}${path}`, init));
        expect(minimal.status, path).toBe(status);
        expect(adapter.status).toBe(status);
        expect(named(minimal.headers), `${init.method ?? "GET"} ${path} ${status}`).toEqual(named(adapter.headers));
        expect(await minimal.text()).not.toBe("");
        await adapter.text();
      }
      expect((await globalThis.fetch(`${cors.url}/api/session/cors`, patch(write, "https://app.example"))).headers.get("access-control-allow-origin")).toBe("https://app.example");
    } finally {
      await cors.shutdown();
    }
  });
});
