import { connect } from "node:net";
import { describe, expect, it } from "vitest";
import { createApp } from "../handlers/index.js";
import { memoryPorts } from "../runtime/stores/memory.js";
import { readMultipart } from "./support/multipart.js";
import { spawnServer } from "./support/server.js";

describe("graceful shutdown", () => {
  it("turns /ready to 503 as soon as shutdown begins", async () => {
    const app = createApp(memoryPorts());
    expect((await app.fetch(new Request("http://x/ready"))).status).toBe(200);
    app.shutdown();
    const ready = await app.fetch(new Request("http://x/ready"));
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({ reason: "shutting down" });
    expect((await app.fetch(new Request("http://x/health"))).status).toBe(200);
  });

  it("ends open streams with the final boundary on SIGTERM and exits 0", async () => {
    const server = await spawnServer();
    const created = await fetch(`${server.url}/api/session`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ session_id: "bye", template: "<svg>last</svg>" }),
    });
    expect(created.status).toBe(201);
    const streams = [readMultipart(await fetch(`${server.url}/stream/bye`)), readMultipart(await fetch(`${server.url}/stream/bye`))];
    for (const stream of streams) await stream.next();
    const started = performance.now();
    const exit = server.stop("SIGTERM");
    for (const stream of streams) {
      await stream.ended(5_000);
      expect(stream.frames.at(-1)).toBe("<svg>last</svg>");
    }
    expect(await exit).toBe(0);
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(server.logs.join("\n")).toContain('"msg":"stopped"');
  });

  it("exits within the grace period even when a connection never finishes", async () => {
    const server = await spawnServer({ SHUTDOWN_GRACE_MS: "500" });
    const { port } = new URL(server.url);
    // A client that sent half a request and went quiet.
    const socket = connect(Number(port), "127.0.0.1");
    await new Promise((resolve) => socket.once("connect", resolve));
    socket.write("POST /api/session HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{");
    await new Promise((resolve) => setTimeout(resolve, 100));
    const started = performance.now();
    expect(await server.stop("SIGTERM")).toBe(0);
    const took = performance.now() - started;
    socket.destroy();
    expect(took).toBeGreaterThan(400);
    expect(took).toBeLessThan(3_000);
  });
});

describe("configuration errors", () => {
  it("exit non-zero with one line naming the variable", async () => {
    await expect(spawnServer({ PORT: "not-a-port" })).rejects.toThrow(/exited with 2:[\s\S]*invalid PORT="not-a-port"/);
  });
});
