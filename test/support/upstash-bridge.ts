/**
 * An Upstash-REST-compatible HTTP server over a real redis-server, for tests only: what
 * @upstash/redis and the Upstash store speak, without an Upstash account.
 *
 * - `POST /` with a JSON command array → `{"result": …}` or HTTP 400 `{"error": …}`
 * - `POST /pipeline` and `POST /multi-exec` with an array of commands → an array of those
 * - `Authorization: Bearer <token>`, else 401
 * - `Upstash-Encoding: base64`: every string in a reply except "OK" is base64
 * - `POST /subscribe/<channel>` → SSE: `data: subscribe,<ch>,<n>` then `data: message,<ch>,<payload>`
 *   (one subscriber connection per stream; the path segment is percent-decoded)
 * Test controls break streams the ways real networks do: end them, reset them, or let them fall
 * silent while staying open.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { Redis } from "ioredis";

export interface BridgeRequest {
  /** "/", "/pipeline", "/multi-exec" or "/subscribe/<channel as sent>" */
  path: string;
  /** Command names, upper case, in order (empty for subscribe). */
  commands: string[];
  /** The client asked for base64-encoded replies (`Upstash-Encoding: base64`). */
  base64: boolean;
  /** Arrival time, ms since the epoch. */
  at: number;
}

export interface UpstashBridge {
  url: string;
  token: string;
  /** Every authorized request so far. */
  readonly requests: BridgeRequest[];
  /** Channels of the SSE streams open right now (one entry per stream). */
  openStreams(): string[];
  /** Ends every open stream cleanly: the client reads the end of the body. */
  endStreams(): void;
  /** Resets the connection of every open stream: the client's read fails. */
  killStreams(): void;
  /** Open streams stay open but receive nothing more (a silently dead stream); new ones work. */
  freezeStreams(): void;
  /** Answers nothing (commands and new subscriptions) for `ms`. */
  stall(ms: number): void;
  /** The next `count` subscribe requests are refused with HTTP 503. */
  refuseSubscribes(count: number): void;
  close(): Promise<void>;
}

type Command = (string | number)[];
type Reply = { result: unknown } | { error: string };

interface Stream {
  channel: string;
  response: ServerResponse;
  subscriber: Redis;
  frozen: boolean;
}

export async function startUpstashBridge(
  redisUrl: string,
  options: { token?: string } = {},
): Promise<UpstashBridge> {
  const token = options.token ?? `bridge-${crypto.randomUUID()}`;
  const redis = new Redis(redisUrl, { protocol: 2, lazyConnect: true });
  await redis.connect();
  const requests: BridgeRequest[] = [];
  const streams = new Set<Stream>();
  const sockets = new Set<Socket>();
  let stalledUntil = 0;
  let refusals = 0;

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      if (!response.headersSent) reply(response, 500, { error: String(error) });
      else response.destroy();
    });
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  });

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    if (request.headers.authorization !== `Bearer ${token}`) {
      request.resume();
      return reply(response, 401, { error: "Unauthorized" });
    }
    if (request.method !== "POST") return reply(response, 405, { error: "only POST is supported" });
    const body = await readBody(request);
    const wait = stalledUntil - Date.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    const path = (request.url ?? "/").split("?")[0]!;
    const base64 = request.headers["upstash-encoding"] === "base64";
    const log = (commands: string[]) => requests.push({ path, commands, base64, at: Date.now() });

    if (path.startsWith("/subscribe/")) {
      log([]);
      if (refusals > 0) {
        refusals--;
        return reply(response, 503, { error: "subscriptions refused by the test" });
      }
      return subscribe(decodeURIComponent(path.slice("/subscribe/".length)), response);
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch {
      return reply(response, 400, { error: "ERR failed to parse the request body as JSON" });
    }
    if (path === "/") {
      if (!isCommand(parsed)) return reply(response, 400, { error: "ERR expected a command array" });
      log([String(parsed[0]).toUpperCase()]);
      const [result] = await execute([parsed]);
      if (!result) return reply(response, 500, { error: "ERR no reply" });
      return reply(response, "error" in result ? 400 : 200, encode(result, base64));
    }
    if (path === "/pipeline" || path === "/multi-exec") {
      if (!Array.isArray(parsed) || !parsed.every(isCommand)) {
        return reply(response, 400, { error: "ERR expected an array of command arrays" });
      }
      log(parsed.map((c) => String(c[0]).toUpperCase()));
      const results = path === "/pipeline" ? await execute(parsed) : await transaction(parsed);
      return reply(response, 200, results.map((r) => encode(r, base64)));
    }
    return reply(response, 404, { error: `no such endpoint ${path}` });
  }

  /** Sent back to back on one connection, so Redis pipelines them in order. */
  function execute(commands: Command[]): Promise<Reply[]> {
    return Promise.all(
      commands.map(([name, ...args]) =>
        redis.call(String(name), ...args.map(String)).then(
          (result): Reply => ({ result }),
          (error: Error): Reply => ({ error: error.message }),
        ),
      ),
    );
  }

  async function transaction(commands: Command[]): Promise<Reply[]> {
    const results = await redis.multi(commands.map((c) => c.map(String))).exec();
    return (results ?? []).map(([error, result]): Reply => (error ? { error: error.message } : { result }));
  }

  async function subscribe(channel: string, response: ServerResponse) {
    const subscriber = new Redis(redisUrl, { protocol: 2, lazyConnect: true });
    const stream: Stream = { channel, response, subscriber, frozen: false };
    const end = () => {
      streams.delete(stream);
      subscriber.disconnect();
    };
    response.once("close", end); // the client went away, or endStreams()/killStreams()
    try {
      await subscriber.connect();
      subscriber.on("message", (from: string, payload: string) => {
        if (!stream.frozen && !response.writableEnded) response.write(`data: message,${from},${payload}\n\n`);
      });
      const count = (await subscriber.subscribe(channel)) as number;
      if (response.destroyed || !response.socket || response.socket.destroyed) return end(); // client gone meanwhile
      response.writeHead(200, { "Content-Type": "text/event-stream", "Cache-Control": "no-cache" });
      response.write(`data: subscribe,${channel},${count}\n\n`);
      streams.add(stream);
    } catch (error) {
      end();
      throw error;
    }
  }

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    token,
    requests,
    openStreams: () => [...streams].map((s) => s.channel),
    endStreams() {
      for (const stream of [...streams]) stream.response.end();
    },
    killStreams() {
      for (const stream of [...streams]) stream.response.socket?.destroy();
    },
    freezeStreams() {
      for (const stream of streams) stream.frozen = true;
    },
    stall(ms) {
      stalledUntil = Date.now() + ms;
    },
    refuseSubscribes(count) {
      refusals = count;
    },
    async close() {
      for (const stream of [...streams]) stream.subscriber.disconnect();
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      redis.disconnect();
    },
  };
}

function isCommand(value: unknown): value is Command {
  return (
    Array.isArray(value) &&
    value.length > 0 &&
    value.every((part) => typeof part === "string" || typeof part === "number")
  );
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    request.on("error", reject);
  });
}

/** Upstash-Encoding: base64 turns every string of a reply into base64, except a plain "OK". */
function encode(reply: Reply, base64: boolean): Reply {
  if (!base64 || "error" in reply) return reply;
  const walk = (value: unknown): unknown => {
    if (typeof value === "string") return value === "OK" ? value : Buffer.from(value, "utf8").toString("base64");
    if (Array.isArray(value)) return value.map(walk);
    return value;
  };
  return { result: walk(reply.result) };
}

function reply(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(text) });
  response.end(text);
}
