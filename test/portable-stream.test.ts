import { describe, expect, it } from "vitest";
import { createApp } from "../handlers/index.js";
import { memoryPorts } from "../runtime/stores/memory.js";
import { readMultipart } from "./support/multipart.js";

/** The handlers as an edge runtime hosts them: no direct writes, a ReadableStream body. */
describe("streams through the portable ReadableStream body", () => {
  const app = createApp(memoryPorts());
  const call = (method: string, path: string, body?: unknown, token?: string) =>
    app.fetch(
      new Request(`http://edge.test${path}`, {
        method,
        headers: { "Content-Type": "application/json", ...(token ? { Authorization: `Bearer ${token}` } : {}) },
        body: body === undefined ? undefined : JSON.stringify(body),
      }),
    );

  it("carry the first frame, every update and the final boundary, and release the viewer on cancel", async () => {
    const created = await call("POST", "/api/session", { session_id: "p", template: "<svg>{{ n }}</svg>", args: { n: 0 } });
    const { write_token: token } = (await created.json()) as { write_token: string };
    const response = await call("GET", "/stream/p");
    expect(response.headers.get("content-type")).toMatch(/^multipart\/x-mixed-replace; boundary=/);
    const stream = readMultipart(response);
    expect(await stream.next()).toBe("<svg>0</svg>");
    expect(stream.preambleBytes()).toBeGreaterThanOrEqual(1024);
    await call("PATCH", "/api/session/p", { args: { n: 1 } }, token);
    expect(await stream.next()).toBe("<svg>1</svg>");
    expect(app.hub.viewersOf("p")).toBe(1);

    const second = readMultipart(await call("GET", "/stream/p"));
    await second.next();
    second.close();
    await expect.poll(() => app.hub.viewersOf("p")).toBe(1);

    await call("DELETE", "/api/session/p", undefined, token);
    await stream.ended();
    expect(app.hub.viewersOf("p")).toBe(0);
  });

  it("keep only the newest frame for a reader that does not pull", async () => {
    const created = await call("POST", "/api/session", { session_id: "slow", template: "<svg>{{ n }}</svg>", args: { n: 0 } });
    const { write_token: token } = (await created.json()) as { write_token: string };
    const response = await call("GET", "/stream/slow");
    const reader = response.body!.getReader();
    await reader.read(); // the first chunk; then the reader stalls
    // Writes come from requests, each in a turn of its own: the frames reach the viewer (deferred,
    // after each write's answer) between them, while the reader does not pull.
    for (let n = 1; n <= 50; n++) {
      await call("PATCH", "/api/session/slow", { args: { n } }, token);
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
    const decoder = new TextDecoder();
    let text = "";
    while (!text.includes("<svg>50</svg>")) text += decoder.decode((await reader.read()).value);
    const seen = [...text.matchAll(/<svg>(\d+)<\/svg>/g)].map((match) => Number(match[1]));
    expect(seen.at(-1)).toBe(50);
    expect(seen.length).toBeLessThanOrEqual(3);
    await reader.cancel();
  });
});

describe("opening a stream", () => {
  it("reads the store once for the first local viewer of a session, not for the viewers after it", async () => {
    const ports = memoryPorts();
    const store = ports.store;
    let reads = 0;
    const get = store.get.bind(store);
    store.get = (id: string) => {
      reads++;
      return get(id);
    };
    const app = createApp(ports);
    await app.fetch(
      new Request("http://edge.test/api/session", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ session_id: "popular", template: "<svg/>" }),
      }),
    );
    const streams = [];
    for (let i = 0; i < 20; i++) {
      const stream = readMultipart(await app.fetch(new Request("http://edge.test/stream/popular")));
      expect(await stream.next()).toBe("<svg/>");
      streams.push(stream);
    }
    expect(reads).toBe(1);
    for (const stream of streams) stream.close();
    await expect.poll(() => app.hub.viewersOf("popular")).toBe(0);
    // With no local viewer left, the next one reads the store again.
    readMultipart(await app.fetch(new Request("http://edge.test/stream/popular"))).close();
    expect(reads).toBe(2);
  });
});
