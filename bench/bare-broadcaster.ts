/**
 * The bare baseline every server figure is divided by: a plain node:http broadcaster with no
 * router, store, Fetch adapter or per-viewer objects beyond a Set entry. It imports nothing from
 * the app, so refactors there cannot change it, and writes the same wire format as
 * handlers/streaming/multipart.ts (1100-byte preamble, boundary, part headers after each frame),
 * so both servers push the same bytes per viewer (the run prints that ratio to prove it).
 *
 *   GET  /stream/<any>  200 multipart/x-mixed-replace: head + current frame, then every published one
 *   POST /publish {"frame": "<svg…>"}  writes the frame to every viewer, then answers {"viewers": N}
 *   GET  /metrics       the event loop's delay since the last read, as the real server names it
 *
 * Like the real server it keeps at most one pending frame (the newest) per viewer whose socket is
 * full, so a flood of publishes cannot grow its memory without bound.
 * Prints {"msg":"listening","url":…} once it listens on 127.0.0.1.
 */
import { randomBytes } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { monitorEventLoopDelay } from "node:perf_hooks";

// The event loop's delay, measured as the real server's /metrics does (prom-client's default
// metrics: monitorEventLoopDelay at 10 ms resolution, reset at each read), so both are read alike.
const loopDelay = monitorEventLoopDelay({ resolution: 10 });
loopDelay.enable();

const boundary = `rsvg${randomBytes(16).toString("hex")}`;
const PART_HEADERS = "Content-Type: image/svg+xml\r\n\r\n";
const head = Buffer.from(`${" ".repeat(1100)}\r\n--${boundary}\r\n${PART_HEADERS}`);
const next = `\r\n--${boundary}\r\n${PART_HEADERS}`;
const headers = {
  "Content-Type": `multipart/x-mixed-replace; boundary=${boundary}`,
  "Cache-Control": "no-cache, no-store",
  "X-Accel-Buffering": "no",
  "X-Content-Type-Options": "nosniff",
  "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src data:; sandbox",
};

let current: Buffer | null = null;
const viewers = new Set<http.ServerResponse>();
const pending = new Map<http.ServerResponse, Buffer>();

function send(res: http.ServerResponse, bytes: Buffer): void {
  if (pending.has(res)) {
    pending.set(res, bytes); // replaces the older unsent frame
  } else if (!res.writableNeedDrain) {
    res.write(bytes);
  } else {
    pending.set(res, bytes);
    res.once("drain", () => {
      const newest = pending.get(res);
      pending.delete(res);
      if (newest && !res.destroyed) res.write(newest);
    });
  }
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
      res.writeHead(400).end();
      return;
    }
    current = Buffer.from(frame + next);
    for (const viewer of viewers) send(viewer, current);
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
  } else if (req.method === "POST" && req.url === "/publish") {
    publish(req, res);
  } else if (req.method === "GET" && req.url === "/metrics") {
    const text = `nodejs_eventloop_lag_p99_seconds ${loopDelay.percentile(99) / 1e9}\nnodejs_eventloop_lag_max_seconds ${loopDelay.max / 1e9}\n`;
    loopDelay.reset();
    res.writeHead(200, { "Content-Type": "text/plain" }).end(text);
  } else {
    res.writeHead(404).end();
  }
});
// As the real server: streams stay open; only the request head has a deadline.
server.requestTimeout = 0;
server.headersTimeout = 30_000;

server.listen(0, "127.0.0.1", () => {
  const { port } = server.address() as AddressInfo;
  process.stdout.write(`${JSON.stringify({ msg: "listening", url: `http://127.0.0.1:${port}` })}\n`);
});

process.once("SIGTERM", () => {
  for (const viewer of viewers) viewer.destroy();
  server.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 2_000).unref();
});
