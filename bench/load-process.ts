/**
 * The load process: holds N stream viewers in a process of its own, so their CPU and memory are
 * never the server's (nor the benchmark's). Driven by bench/load-control.ts: one JSON command per
 * line on stdin, one JSON event per line on stdout. It exits when stdin closes, so it never
 * outlives the benchmark.
 *
 * Viewers are raw node:http GETs (no agent: one socket each) that only scan their bytes for a
 * marker followed by the multipart delimiter, so the client's own cost per frame stays small.
 * Arrival times are stamped on the machine-wide clock of bench/clock.ts.
 */
import http from "node:http";
import { createInterface } from "node:readline";
import { hrMs } from "./clock.js";

export type LoadCommand =
  | { op: "open"; url: string; count: number; concurrency: number; marker: string; timeoutMs: number }
  | { op: "arm"; seq: number; marker: string; timeoutMs: number }
  | { op: "status" };

export interface LoadStatus {
  open: number;
  failed: number;
  /** Bytes received by all viewers so far (to compare what each server sends per frame). */
  bytes: number;
}

export type LoadEvent =
  | { ev: "ready" }
  | { ev: "opened"; open: number }
  | { ev: "armed"; seq: number }
  | { ev: "arrived"; seq: number; firstAt: number; lastAt: number }
  | ({ ev: "status" } & LoadStatus)
  | { ev: "error"; op: string; seq?: number; message: string };

class Viewer {
  private buffer = "";
  private marker: string | null = null;
  private onArrive: (at: number) => void = () => {};
  private delimiter = "";
  private request: http.ClientRequest | null = null;
  failure: Error | null = null;
  bytes = 0;

  constructor(private readonly url: string) {}

  /** Connects; resolves once the frame containing `marker` has fully arrived. */
  open(marker: string, timeoutMs: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const fail = (error: Error) => {
        clearTimeout(timer);
        this.failure ??= error;
        reject(error);
      };
      const timer = setTimeout(() => fail(new Error(`no first frame within ${timeoutMs} ms`)), timeoutMs);
      this.expect(marker, () => {
        clearTimeout(timer);
        resolve();
      });
      this.request = http.get(this.url, { agent: false }, (response) => {
        const boundary = /boundary=([^;\s]+)/.exec(response.headers["content-type"] ?? "")?.[1];
        if (response.statusCode !== 200 || !boundary) {
          response.resume();
          fail(new Error(`GET ${this.url}: ${response.statusCode}`));
          return;
        }
        // A frame is complete once the next part's delimiter follows it.
        this.delimiter = `\r\n--${boundary}\r\n`;
        response.setEncoding("latin1");
        response.on("data", (chunk: string) => this.receive(chunk));
        response.on("error", fail);
        response.on("close", () => fail(new Error("stream closed by the server")));
      });
      this.request.on("error", fail);
    });
  }

  expect(marker: string, onArrive: (at: number) => void): void {
    this.buffer = "";
    this.marker = marker;
    this.onArrive = onArrive;
  }

  close(): void {
    this.failure ??= new Error("closed");
    this.request?.destroy();
  }

  private receive(chunk: string): void {
    this.bytes += chunk.length; // latin1: one char per byte
    const marker = this.marker;
    if (marker === null) return; // nothing awaited: bytes are dropped, not kept
    this.buffer += chunk;
    const at = this.buffer.indexOf(marker);
    if (at < 0) {
      this.buffer = this.buffer.slice(-marker.length); // enough for a marker split across chunks
      return;
    }
    if (this.buffer.indexOf(this.delimiter, at + marker.length) < 0) {
      this.buffer = this.buffer.slice(at);
      return;
    }
    const now = hrMs();
    this.marker = null;
    this.buffer = "";
    this.onArrive(now);
  }
}

const viewers: Viewer[] = [];
const send = (event: LoadEvent) => process.stdout.write(`${JSON.stringify(event)}\n`);
const failed = () => viewers.filter((v) => v.failure).length;

/** Opens `count` viewers, `concurrency` at a time (no SYN-backlog overflow); stops at the first failure. */
async function open(url: string, count: number, marker: string, concurrency: number, timeoutMs: number): Promise<void> {
  let started = 0;
  let failure: Error | null = null;
  const worker = async () => {
    while (started < count && !failure) {
      started++;
      const viewer = new Viewer(url);
      viewers.push(viewer);
      await viewer.open(marker, timeoutMs).catch((error: Error) => (failure ??= error));
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  if (failure) throw new Error(`${failed()} of ${viewers.length} viewers failed, the first: ${(failure as Error).message}`);
}

/** Arms every viewer for `marker`; resolves with the first and last arrival, or rejects after `timeoutMs`. */
function arrivals(marker: string, timeoutMs: number): Promise<{ firstAt: number; lastAt: number }> {
  return new Promise((resolve, reject) => {
    if (failed() > 0) return reject(new Error(`${failed()} of ${viewers.length} viewers have failed`));
    let remaining = viewers.length;
    let firstAt = Number.POSITIVE_INFINITY;
    let lastAt = Number.NEGATIVE_INFINITY;
    const timer = setTimeout(() => reject(new Error(`${remaining} viewers lacked ${marker} after ${timeoutMs} ms`)), timeoutMs);
    for (const viewer of viewers) {
      viewer.expect(marker, (at) => {
        firstAt = Math.min(firstAt, at);
        lastAt = Math.max(lastAt, at);
        if (--remaining === 0) {
          clearTimeout(timer);
          resolve({ firstAt, lastAt });
        }
      });
    }
  });
}

async function handle(command: LoadCommand): Promise<void> {
  try {
    if (command.op === "open") {
      await open(command.url, command.count, command.marker, command.concurrency, command.timeoutMs);
      send({ ev: "opened", open: viewers.length });
    } else if (command.op === "arm") {
      const arrival = arrivals(command.marker, command.timeoutMs);
      send({ ev: "armed", seq: command.seq }); // every viewer is armed: the update may be sent
      send({ ev: "arrived", seq: command.seq, ...(await arrival) });
    } else {
      const bytes = viewers.reduce((total, v) => total + v.bytes, 0);
      send({ ev: "status", open: viewers.length - failed(), failed: failed(), bytes });
    }
  } catch (error) {
    send({ ev: "error", op: command.op, ...("seq" in command ? { seq: command.seq } : {}), message: (error as Error).message });
  }
}

send({ ev: "ready" });
createInterface({ input: process.stdin })
  .on("line", (line) => {
    if (line.trim()) void handle(JSON.parse(line) as LoadCommand);
  })
  .on("close", () => {
    for (const viewer of viewers) viewer.close();
    process.exit(0);
  });
