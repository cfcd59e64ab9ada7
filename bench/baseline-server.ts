/**
 * The bare baseline the fan-out targets are measured against: a plain `node:http` broadcaster
 * with no router, no store, no Fetch adapter and no per-viewer objects of its own beyond a Set
 * entry. It speaks the same wire format as the real server (same response headers, same preamble,
 * boundary and part headers, from handlers/multipart.ts's PartEncoder), so the bytes per viewer
 * are the same:
 *
 *   GET  /stream/<anything>  → 200 multipart/x-mixed-replace; the head and the current frame at once,
 *                              then every published frame; the response stays open
 *   POST /publish {"frame": "<svg…>"} → encodes the frame once and writes the same bytes to every
 *                              open response, then answers 200 {"viewers": N}
 *   GET  /health             → 200
 *
 * Like the real server it keeps at most one pending frame per viewer whose socket buffer is full
 * (the newest), so a flood of publishes cannot grow its memory without bound.
 * Prints {"msg":"listening","url":…} on stdout once it listens on 127.0.0.1 (PORT, default 0).
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { PartEncoder } from "../handlers/streaming/multipart.js";
import { SVG_SECURITY_HEADERS } from "../handlers/http/respond.js";

const encoder = new PartEncoder();
const headers = {
  ...SVG_SECURITY_HEADERS,
  "Cache-Control": "no-cache, no-store",
  "X-Accel-Buffering": "no",
  "Content-Type": encoder.contentType,
};
const head = Buffer.from(encoder.head);
let current: Buffer | null = null;
const viewers = new Set<http.ServerResponse>();
/** Viewers whose socket buffer is full, with the newest frame they have not been sent yet. */
const pending = new Map<http.ServerResponse, Buffer>();

function send(res: http.ServerResponse, bytes: Buffer): void {
  if (pending.has(res)) {
    pending.set(res, bytes); // replaces the older unsent frame
    return;
  }
  if (!res.writableNeedDrain) {
    res.write(bytes);
    return;
  }
  pending.set(res, bytes);
  res.once("drain", () => {
    const next = pending.get(res);
    pending.delete(res);
    if (next && !res.destroyed) res.write(next);
  });
}

function publish(req: http.IncomingMessage, res: http.ServerResponse): void {
  const chunks: Buffer[] = [];
  req.on("data", (chunk: Buffer) => chunks.push(chunk));
  req.on("end", () => {
    let frame: unknown;
    try {
      frame = (JSON.parse(Buffer.concat(chunks).toString("utf8")) as { frame?: unknown }).frame;
    } catch {
      frame = undefined;
    }
    if (typeof frame !== "string") {
      res.writeHead(400, { "Content-Type": "application/json" }).end('{"error":"expected {\\"frame\\": string}"}');
      return;
    }
    const bytes = Buffer.from(encoder.frame(frame));
    current = bytes;
    for (const viewer of viewers) send(viewer, bytes);
    res.writeHead(200, { "Content-Type": "application/json" }).end(`{"viewers":${viewers.size}}`);
  });
}

const server = http.createServer((req, res) => {
  if (req.method === "GET" && req.url?.startsWith("/stream/")) {
    res.writeHead(200, headers);
    res.write(current ? Buffer.concat([head, current]) : head);
    viewers.add(res);
    res.once("close", () => {
      viewers.delete(res);
      pending.delete(res);
    });
    return;
  }
  if (req.method === "POST" && req.url === "/publish") return publish(req, res);
  if (req.method === "GET" && req.url === "/health") {
    res.writeHead(200, { "Content-Type": "text/plain" }).end("ok");
    return;
  }
  res.writeHead(404).end();
});
// As the real server: streams live for hours; only the request head has a deadline.
server.requestTimeout = 0;
server.headersTimeout = 30_000;

server.listen(Number(process.env["PORT"] ?? 0), "127.0.0.1", () => {
  const { port } = server.address() as AddressInfo;
  process.stdout.write(`${JSON.stringify({ msg: "listening", url: `http://127.0.0.1:${port}` })}\n`);
});

for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.once(signal, () => {
    for (const viewer of viewers) viewer.destroy();
    server.close(() => process.exit(0));
    setTimeout(() => process.exit(0), 2_000).unref();
  });
}
