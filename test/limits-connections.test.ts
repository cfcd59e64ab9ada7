/**
 * Caps on what clients hold open: MAX_STREAMS per process, MAX_STREAMS_PER_CLIENT (behind a
 * trusted proxy or not), MAX_CONNECTIONS, and its default from the open-files limit. Each
 * against the real entry point in a child process.
 */
import { spawn } from "node:child_process";
import { connect, type Socket } from "node:net";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { spawnServer, type ServerProcess } from "./support/server.js";

const CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; sandbox";
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let servers: ServerProcess[] = [];
afterEach(async () => {
  await Promise.all(servers.map((server) => server.stop("SIGKILL")));
  servers = [];
});
async function start(env: Record<string, string>): Promise<ServerProcess> {
  const server = await spawnServer(env);
  servers.push(server);
  return server;
}

async function createSession(base: string, id: string) {
  const response = await fetch(`${base}/api/session`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ session_id: id, template: "<svg>{{ n }}</svg>", args: { n: 1 } }),
  });
  expect(response.status).toBe(201);
}

/** The open-streams gauge the server exports. */
async function openStreams(base: string): Promise<number> {
  const text = await (await fetch(`${base}/metrics`)).text();
  return Number(/^rsvg_open_streams (\d+)/m.exec(text)?.[1]);
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await check())) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

/** A stream request from `forwardedFor` (when given); resolves once the head has arrived. */
const stream = (base: string, id: string, forwardedFor?: string) => {
  const controller = new AbortController();
  const response = fetch(`${base}/stream/${id}`, {
    signal: controller.signal,
    headers: forwardedFor ? { "X-Forwarded-For": forwardedFor } : {},
  });
  return { response, close: () => controller.abort() };
};

describe("MAX_STREAMS", () => {
  it("with MAX_STREAMS=200, serves 200 of 400 streams, refuses the rest with 503, and keeps /health up throughout", async () => {
    const server = await start({ MAX_STREAMS: "200" });
    await createSession(server.url, "flood");

    let healthChecks = 0;
    const healthFailures: string[] = [];
    let flooding = true;
    const prober = (async () => {
      while (flooding) {
        try {
          const response = await fetch(`${server.url}/health`, { signal: AbortSignal.timeout(2_000) });
          if (response.status !== 200) healthFailures.push(`status ${response.status}`);
          await response.arrayBuffer();
        } catch (error) {
          healthFailures.push(String(error));
        }
        healthChecks++;
        await sleep(20);
      }
    })();

    const requests = Array.from({ length: 400 }, () => stream(server.url, "flood"));
    const responses = await Promise.all(requests.map((request) => request.response));
    const served = responses.filter((response) => response.status === 200);
    const refused = responses.filter((response) => response.status === 503);
    expect(served).toHaveLength(200);
    expect(refused).toHaveLength(200);
    for (const response of refused.slice(0, 5)) {
      expect(response.headers.get("retry-after")).toMatch(/^\d+$/);
      expect(response.headers.get("x-content-type-options")).toBe("nosniff");
      expect(response.headers.get("content-security-policy")).toBe(CSP);
      expect(await response.json()).toMatchObject({ code: "too_many_streams" });
    }
    expect(await openStreams(server.url)).toBe(200);
    // More refusals while full; /health and a snapshot are still answered.
    const more = await Promise.all(Array.from({ length: 20 }, () => stream(server.url, "flood").response));
    expect(more.map((response) => response.status)).toEqual(Array(20).fill(503));
    expect((await fetch(`${server.url}/svg/flood`)).status).toBe(200);
    await sleep(200);

    flooding = false;
    await prober;
    expect(healthFailures).toEqual([]);
    expect(healthChecks).toBeGreaterThan(3);

    // Room again once streams end.
    for (const request of requests) request.close();
    await until("the streams to close", async () => (await openStreams(server.url)) === 0);
    const again = stream(server.url, "flood");
    expect((await again.response).status).toBe(200);
    again.close();
  }, 60_000);
});

describe("MAX_STREAMS_PER_CLIENT", () => {
  it("counts streams per address from the trusted proxy's header, taking its right-most entry", async () => {
    const server = await start({ MAX_STREAMS_PER_CLIENT: "2", TRUSTED_PROXY_HEADER: "X-Forwarded-For" });
    await createSession(server.url, "per-client");
    const a1 = stream(server.url, "per-client", "198.51.100.1");
    const a2 = stream(server.url, "per-client", "6.6.6.6, 198.51.100.1"); // a client-written left part changes nothing
    expect((await a1.response).status).toBe(200);
    expect((await a2.response).status).toBe(200);
    const a3 = await stream(server.url, "per-client", "7.7.7.7, 198.51.100.1").response;
    expect(a3.status).toBe(503);
    expect(a3.headers.get("retry-after")).toMatch(/^\d+$/);
    expect(await a3.json()).toMatchObject({ code: "too_many_streams" });
    const b = stream(server.url, "per-client", "198.51.100.2");
    expect((await b.response).status).toBe(200);

    // A stream that ends gives its slot back.
    a1.close();
    await until("a slot to come back", async () => {
      const next = stream(server.url, "per-client", "198.51.100.1");
      const response = await next.response;
      next.close();
      return response.status === 200;
    });
    for (const request of [a2, b]) request.close();
  });

  it("ignores forwarding headers when no proxy is trusted: the connection's address is the client", async () => {
    const server = await start({ MAX_STREAMS_PER_CLIENT: "2" });
    await createSession(server.url, "no-proxy");
    const held = [stream(server.url, "no-proxy", "198.51.100.1"), stream(server.url, "no-proxy", "198.51.100.2")];
    for (const request of held) expect((await request.response).status).toBe(200);
    const third = await stream(server.url, "no-proxy", "198.51.100.3").response;
    expect(third.status).toBe(503);
    for (const request of held) request.close();
  });
});

/** Opens `count` TCP connections that send nothing; reports which the server closed at once. */
async function idleConnections(port: number, count: number): Promise<{ sockets: Socket[]; closedByServer: () => number }> {
  let closed = 0;
  const sockets = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<Socket>((resolve, reject) => {
          const socket = connect(port, "127.0.0.1", () => resolve(socket));
          socket.on("close", () => closed++);
          socket.on("error", () => {});
          socket.once("error", reject);
        }),
    ),
  );
  return { sockets, closedByServer: () => closed };
}

describe("MAX_CONNECTIONS", () => {
  it("closes connections beyond it as they arrive, and serves again once they are gone", async () => {
    const server = await start({ MAX_CONNECTIONS: "150", MAX_STREAMS: "50" });
    const listening = server.logs.find((line) => line.includes('"msg":"listening"'))!;
    expect(JSON.parse(listening)).toMatchObject({ maxConnections: 150, maxStreams: 50 });
    const { port } = new URL(server.url);
    const flood = await idleConnections(Number(port), 200);
    await until("the server to close the connections beyond 150", async () => flood.closedByServer() >= 50, 5_000);
    await sleep(300);
    expect(flood.closedByServer()).toBe(50);
    for (const socket of flood.sockets) socket.destroy();
    await until("/health to answer", async () => (await fetch(`${server.url}/health`).catch(() => null))?.status === 200);
    expect(server.logs.join("\n")).toContain("connections refused: MAX_CONNECTIONS reached");
  });

  it("defaults to what the open-files limit allows, lowering MAX_STREAMS to keep room for /health", async () => {
    const root = fileURLToPath(new URL("..", import.meta.url));
    const child = spawn("sh", ["-c", `ulimit -n 400 && exec "${process.execPath}" --import tsx runtime/node/main.ts`], {
      cwd: root,
      env: { PATH: process.env.PATH ?? "", PORT: "0", HOST: "127.0.0.1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    try {
      const lines: string[] = [];
      const listening = await new Promise<Record<string, unknown>>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no listening line:\n${lines.join("\n")}`)), 20_000);
        child.once("exit", (code) => reject(new Error(`exited with ${code}:\n${lines.join("\n")}`)));
        createInterface({ input: child.stdout! }).on("line", (line) => {
          lines.push(line);
          if (line.includes('"msg":"listening"')) {
            clearTimeout(timer);
            resolve(JSON.parse(line) as Record<string, unknown>);
          }
        });
      });
      // 400 files − 128 kept = 272 connections; 272 − 64 kept for /health and writes = 208 streams.
      expect(listening).toMatchObject({ maxConnections: 272, maxStreams: 208 });
      const warnings = lines.filter((line) => line.includes('"level":40')).join("\n");
      expect(warnings).toContain("MAX_CONNECTIONS lowered from 11000 to 272");
      expect(warnings).toContain("MAX_STREAMS lowered from 10000 to 208");

      // A flood past the open-files limit: without the caps, accept() fails (EMFILE) and /health with it.
      const url = String(listening.url);
      await createSession(url, "fd-flood");
      const requests = Array.from({ length: 500 }, () => stream(url, "fd-flood"));
      const outcomes = await Promise.all(requests.map((request) => request.response.then((response) => response.status, () => "refused")));
      expect(outcomes.filter((status) => status === 200)).toHaveLength(208);
      expect(outcomes.filter((status) => status === 503).length).toBeGreaterThan(0);
      expect(await openStreams(url)).toBe(208);
      for (let i = 0; i < 5; i++) expect((await fetch(`${url}/health`)).status).toBe(200);
      for (const request of requests) request.close();
    } finally {
      child.kill("SIGKILL");
    }
  });
});
