/**
 * The write baselines: a plain node:http server with no router, schema, render or auth, that
 * answers each write with what the store underneath costs at least.
 *
 *   BARE_STORE=redis (REDIS_URL)  PATCH /api/session/<id>: the body, then one Redis SET of it and
 *                                 one PUBLISH of it (sent together), then 200 {"ok":true}
 *   BARE_STORE=memory             PATCH /api/session/<id>: the body into a Map (bare /put), then 200
 *
 * The same request as the real server's (path, headers, body), so one load generator drives both.
 * Prints {"msg":"listening","url":…} once it listens on 127.0.0.1.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { Redis } from "ioredis";

const mode = process.env["BARE_STORE"] === "redis" ? "redis" : "memory";
const redis = mode === "redis" ? new Redis(process.env["REDIS_URL"]!) : null;
const records = new Map<string, string>();
const PREFIX = "/api/session/";

function answer(res: http.ServerResponse, status: number): void {
  res.writeHead(status, { "Content-Type": "application/json" }).end(status === 200 ? '{"ok":true}' : "{}");
}

const server = http.createServer((req, res) => {
  if (req.method !== "PATCH" || !req.url?.startsWith(PREFIX)) return answer(res, 404);
  const id = req.url.slice(PREFIX.length);
  const chunks: Buffer[] = [];
  req.on("data", (chunk: Buffer) => chunks.push(chunk));
  req.on("end", () => {
    const body = Buffer.concat(chunks).toString("utf8");
    if (!redis) {
      records.set(id, body);
      return answer(res, 200);
    }
    Promise.all([redis.set(`bare:${id}`, body), redis.publish(`bare:channel:${id}`, body)]).then(
      () => answer(res, 200),
      () => answer(res, 503),
    );
  });
});
server.keepAliveTimeout = 30_000;

server.listen(0, "127.0.0.1", () => {
  const { port } = server.address() as AddressInfo;
  process.stdout.write(`${JSON.stringify({ msg: "listening", url: `http://127.0.0.1:${port}` })}\n`);
});

process.once("SIGTERM", () => {
  redis?.disconnect();
  server.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 1_000).unref();
});
