import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawnServer, type ServerProcess } from "./support/server.js";

const API_KEY = "sekret-api-key-4f1c";
const REDIS_PASSWORD = "hunter2-redis-pass";

describe("a server with an API key", () => {
  let server: ServerProcess;
  const post = (headers: Record<string, string>, id: string) =>
    fetch(`${server.url}/api/session`, {
      method: "POST",
      headers: { "Content-Type": "application/json", ...headers },
      body: JSON.stringify({ session_id: id, template: "<svg>{{ n }}</svg>", args: { n: 1 } }),
    });

  beforeAll(async () => {
    server = await spawnServer({ API_KEY });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it("needs the key to create a session: 401 without, 403 with a wrong one", async () => {
    const missing = await post({}, "k1");
    expect(missing.status).toBe(401);
    expect(await missing.json()).toMatchObject({ code: "unauthorized" });
    expect((await post({ Authorization: "Bearer nope" }, "k1")).status).toBe(403);
    expect((await post({ Authorization: `Bearer ${API_KEY}` }, "k1")).status).toBe(201);
  });

  it("lets the key write any session, alongside the session's own token", async () => {
    const created = await post({ Authorization: `Bearer ${API_KEY}` }, "k2");
    const { write_token: token } = (await created.json()) as { write_token: string };
    for (const [credential, n] of [[API_KEY, 2], [token, 3]] as const) {
      const update = await fetch(`${server.url}/api/session/k2`, {
        method: "PATCH",
        headers: { "Content-Type": "application/json", Authorization: `Bearer ${credential}` },
        body: JSON.stringify({ args: { n } }),
      });
      expect(update.status).toBe(200);
    }
    expect(await (await fetch(`${server.url}/svg/k2`)).text()).toBe("<svg>3</svg>");
  });
});

describe("request logs", () => {
  it("are one JSON line per request on stdout, with no secret in them", async () => {
    const server = await spawnServer({ API_KEY, REDIS_PASSWORD, LOG_LEVEL: "info" });
    const created = await fetch(`${server.url}/api/session?token=${API_KEY}`, {
      method: "POST",
      headers: { "Content-Type": "application/json", Authorization: `Bearer ${API_KEY}` },
      body: JSON.stringify({ session_id: "logged", template: "<svg/>" }),
    });
    const { write_token: token } = (await created.json()) as { write_token: string };
    await fetch(`${server.url}/health`);
    await fetch(`${server.url}/svg/logged`, { headers: { Authorization: `Bearer ${token}` } });
    await server.stop();

    const lines = server.logs.filter((line) => line.startsWith("{")).map((line) => JSON.parse(line) as Record<string, unknown>);
    const requests = lines.filter((line) => line.msg === "request");
    expect(requests.map((line) => [line.method, String(line.path).split("?")[0], line.status])).toEqual([
      ["POST", "/api/session", 201],
      ["GET", "/health", 200],
      ["GET", "/svg/logged", 200],
    ]);
    for (const line of requests) expect(line).toMatchObject({ ms: expect.any(Number), time: expect.any(String) });
    const all = server.logs.join("\n");
    for (const secret of [API_KEY, REDIS_PASSWORD, token]) expect(all).not.toContain(secret);
  });
});

describe("an upload the client aborts", () => {
  it("is logged as a 499 at info level, never as an error, and counted as 499, not 500", async () => {
    const server = await spawnServer({ LOG_LEVEL: "debug" });
    try {
      const { port } = new URL(server.url);
      const socket = connect(Number(port), "127.0.0.1");
      await new Promise((resolve) => socket.once("connect", resolve));
      socket.write('POST /api/session HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"sess');
      await new Promise((resolve) => setTimeout(resolve, 300));
      socket.destroy();
      const requestLine = () =>
        server.logs
          .filter((line) => line.startsWith("{"))
          .map((line) => JSON.parse(line) as Record<string, unknown>)
          .find((line) => line.msg === "request" && line.method === "POST");
      for (let i = 0; i < 100 && !requestLine(); i++) await new Promise((resolve) => setTimeout(resolve, 50));
      await new Promise((resolve) => setTimeout(resolve, 300));

      expect(requestLine()).toMatchObject({ status: 499, completed: false, level: 30 });
      const metrics = await (await fetch(`${server.url}/metrics`)).text();
      expect(metrics).toMatch(/rsvg_http_requests_total\{route="\/api\/session",method="POST",status="499"\} 1/);
      expect(metrics).not.toMatch(/status="5\d\d"/);
      const lines = server.logs.filter((line) => line.startsWith("{")).map((line) => JSON.parse(line) as { level: number });
      expect(lines.filter((line) => line.level >= 50)).toEqual([]);
      expect(server.logs.join("\n")).not.toMatch(/\bstack\b|aborted/);
    } finally {
      await server.stop();
    }
  });
});
