/**
 * A request body has a deadline (BODY_TIMEOUT_MS): a client trickling its body is answered 408
 * and disconnected, instead of holding the request open for as long as it keeps trickling.
 */
import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawnServer, type ServerProcess } from "./support/server.js";

describe("BODY_TIMEOUT_MS", () => {
  let server: ServerProcess;
  beforeAll(async () => {
    server = await spawnServer({ BODY_TIMEOUT_MS: "2000" });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it("answers a body that trickles in one byte a second with 408 request_timeout, then closes the connection", async () => {
    const { port } = new URL(server.url);
    const socket = connect(Number(port), "127.0.0.1");
    await new Promise((resolve) => socket.once("connect", resolve));
    const started = performance.now();
    socket.write("POST /api/session HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{");
    const body = '"session_id": "slow", "template": "<svg/>"}'.padEnd(999, " ");
    let sent = 0;
    const trickle = setInterval(() => {
      if (!socket.destroyed && sent < body.length) socket.write(body[sent++]!);
    }, 1_000);
    let received = "";
    let answeredAt = 0;
    socket.on("data", (chunk) => {
      received += String(chunk);
      answeredAt ||= performance.now();
    });
    socket.on("error", () => {});
    // Without a deadline the request stays open as long as the trickle lasts; give up after 6 s.
    const closedAt = await Promise.race([
      new Promise<number>((resolve) => socket.once("close", () => resolve(performance.now()))),
      new Promise<number>((resolve) => setTimeout(() => resolve(Infinity), 6_000)),
    ]);
    clearInterval(trickle);
    socket.destroy();

    expect(received).toMatch(/^HTTP\/1\.1 408 /);
    expect(received).toMatch(/\r\nconnection: close\r\n/i);
    expect(JSON.parse(received.slice(received.indexOf("\r\n\r\n") + 4))).toMatchObject({ code: "request_timeout" });
    // Loose bounds: the deadline is 2 s from arrival; the answer comes within 2 s more.
    expect(answeredAt - started).toBeGreaterThan(1_500);
    expect(answeredAt - started).toBeLessThan(4_000);
    expect(closedAt - answeredAt).toBeLessThan(2_000);
    expect(sent).toBeLessThan(6);
    expect((await fetch(`${server.url}/api/session/slow`)).status).toBe(404);
  });

  it("still takes a body that arrives in time", async () => {
    const response = await fetch(`${server.url}/api/session`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ session_id: "on-time", template: "<svg/>" }),
    });
    expect(response.status).toBe(201);
  });
});
