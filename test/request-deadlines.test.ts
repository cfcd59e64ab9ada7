/**
 * A request body has a deadline (BODY_TIMEOUT_MS): a client trickling its body is answered 408
 * and disconnected, instead of holding the request open for as long as it keeps trickling.
 */
import { createServer } from "node:http";
import { connect, type AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { incomingBody } from "../runtime/node/request-body.js";
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

/** Sends `raw` on a new connection in one write; resolves with all that came back once the server closed it. */
async function exchange(port: number, raw: string): Promise<string> {
  const socket = connect(port, "127.0.0.1");
  await new Promise((resolve) => socket.once("connect", resolve));
  let answer = "";
  socket.on("data", (chunk) => (answer += String(chunk)));
  socket.write(raw);
  await new Promise((resolve) => socket.once("close", resolve));
  return answer;
}

/** A whole request with a chunked body (one chunk, then the end), closing its connection. */
const chunkedRequest = (head: string, body: string) =>
  `${head}Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n${Buffer.byteLength(body).toString(16)}\r\n${body}\r\n0\r\n\r\n`;

/** The JSON of an answer whose body came in one chunk. */
const chunkedJson = (answer: string): unknown =>
  JSON.parse(answer.slice(answer.indexOf("\r\n\r\n") + 4).replace(/^[0-9a-f]+\r\n/, "").split("\r\n")[0]!);

/** A raw chunked request (no Content-Length): the body limit must hold without a declared length. */
async function chunkedCreate(url: string, chunks: string[], gapMs: number): Promise<{ answer: string; sentBeforeAnswer: number }> {
  const { port } = new URL(url);
  const socket = connect(Number(port), "127.0.0.1");
  await new Promise((resolve) => socket.once("connect", resolve));
  socket.on("error", () => {});
  socket.write("POST /api/session HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n");
  let answer = "";
  let sentBeforeAnswer = -1;
  let sent = 0;
  socket.on("data", (chunk) => {
    if (sentBeforeAnswer < 0) sentBeforeAnswer = sent;
    answer += String(chunk);
  });
  for (const chunk of chunks) {
    if (socket.destroyed || sentBeforeAnswer >= 0) break;
    socket.write(`${Buffer.byteLength(chunk).toString(16)}\r\n${chunk}\r\n`);
    sent++;
    await new Promise((resolve) => setTimeout(resolve, gapMs));
  }
  if (!socket.destroyed && sentBeforeAnswer < 0) socket.write("0\r\n\r\n");
  await new Promise<void>((resolve) => {
    const done = () => resolve();
    socket.once("close", done);
    const poll = setInterval(() => {
      if (/\r\n\r\n[\s\S]*\}/.test(answer)) {
        clearInterval(poll);
        done();
      }
    }, 20);
    socket.once("close", () => clearInterval(poll));
  });
  socket.destroy();
  return { answer, sentBeforeAnswer: sentBeforeAnswer < 0 ? sent : sentBeforeAnswer };
}

describe("MAX_BODY_BYTES without a declared length", () => {
  let server: ServerProcess;
  beforeAll(async () => {
    server = await spawnServer({ MAX_BODY_BYTES: "4096" });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it("answers a chunked body 413 as soon as it passes the limit, not once it has all arrived", async () => {
    const head = '{"session_id": "chunked-big", "template": "<svg/>", "args": {"pad": "';
    const chunks = [head, ...Array.from({ length: 40 }, () => "x".repeat(1024)), '"}}'];
    const { answer, sentBeforeAnswer } = await chunkedCreate(server.url, chunks, 30);
    expect(answer).toMatch(/^HTTP\/1\.1 413 /);
    expect(chunkedJson(answer)).toMatchObject({ code: "payload_too_large" });
    // 4 KiB is passed after the fifth chunk; a server that buffers everything answers after all 42.
    expect(sentBeforeAnswer).toBeLessThan(20);
    expect((await fetch(`${server.url}/api/session/chunked-big`)).status).toBe(404);
  });

  it("holds the limit for a chunked body that arrived whole with its head (taken from the buffer at once)", async () => {
    // One write: head, the whole body and its end, so all of it is parsed before the body is read.
    const whole = (body: string) =>
      exchange(Number(new URL(server.url).port), chunkedRequest("POST /api/session HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n", body));
    const big = JSON.stringify({ session_id: "whole-big", template: "<svg/>", args: { pad: "x".repeat(5000) } });
    expect(await whole(big)).toMatch(/^HTTP\/1\.1 413 [\s\S]*payload_too_large/);
    expect((await fetch(`${server.url}/api/session/whole-big`)).status).toBe(404);
    const small = JSON.stringify({ session_id: "whole-small", template: "<svg/>", args: { pad: "y".repeat(3000) } });
    expect(await whole(small)).toMatch(/^HTTP\/1\.1 201 /);
    expect(await (await fetch(`${server.url}/api/session/whole-small`)).json()).toMatchObject({ args: { pad: "y".repeat(3000) } });
  });

  it("takes a chunked body within the limit", async () => {
    const body = JSON.stringify({ session_id: "chunked-small", template: "<svg/>", args: { pad: "y".repeat(1000) } });
    const { answer } = await chunkedCreate(server.url, [body.slice(0, 50), body.slice(50)], 10);
    expect(answer).toMatch(/^HTTP\/1\.1 201 /);
    expect((await fetch(`${server.url}/api/session/chunked-small`)).status).toBe(200);
  });
});

describe("the Node host's body reader, for a body that has wholly arrived", () => {
  /** A server reading each body with incomingBody after `waitMs` (so its message is complete), answering what it read. */
  async function reader(limit: number, waitMs: number) {
    const server = createServer((req, res) => {
      setTimeout(() => {
        void incomingBody(req).read(limit, 5_000).then((read) => {
          const complete = req.complete;
          res.end(JSON.stringify({ complete, read: typeof read === "string" ? read : Buffer.from(read).toString() }));
        });
      }, waitMs);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return { server, port: (server.address() as AddressInfo).port };
  }
  const send = async (port: number, raw: string) => chunkedJson(await exchange(port, raw)) as { complete: boolean; read: string };
  const chunked = (body: string) => chunkedRequest("POST / HTTP/1.1\r\nHost: x\r\n", body);

  it("takes it from the buffer, within the limit, declared or chunked", async () => {
    const { server, port } = await reader(100, 50);
    try {
      expect(await send(port, chunked("x".repeat(100)))).toEqual({ complete: true, read: "x".repeat(100) });
      expect(await send(port, chunked("x".repeat(101)))).toEqual({ complete: true, read: "too_large" });
      const body = "y".repeat(80);
      expect(await send(port, `POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 80\r\nConnection: close\r\n\r\n${body}`)).toEqual({ complete: true, read: body });
    } finally {
      server.close();
    }
  });
});

