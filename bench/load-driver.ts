/**
 * The benchmark's side of the load process (bench/load-client.ts): spawns it with the descriptor
 * limit raised, sends it JSON commands on stdin and turns its JSON events into promises.
 */
import type { ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import type { LoadCommand, LoadEvent, LoadStatus } from "./load-client.js";
import { register, ROOT, spawnWithOpenFiles, terminate, type OpenFiles } from "./targets.js";

interface Waiter {
  match: (event: LoadEvent) => boolean;
  resolve: (event: LoadEvent) => void;
  reject: (error: Error) => void;
}

export interface Arrival {
  /** When the first and the last viewer had the whole frame (bench/clock.ts, ms). */
  firstAt: number;
  lastAt: number;
}

export class LoadClient {
  private readonly waiters = new Set<Waiter>();
  private exited: Error | null = null;
  private stderr = "";
  readonly stop: () => Promise<void>;

  private constructor(
    private readonly child: ChildProcess,
    readonly openFiles: OpenFiles,
  ) {
    this.stop = register(async () => {
      child.stdin?.end(); // the client exits when its stdin closes
      await terminate(child, 5_000, "SIGTERM");
    });
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** Starts a load process and waits until it is ready. */
  static async start(): Promise<LoadClient> {
    const child = spawnWithOpenFiles(process.execPath, ["--import", "tsx", "bench/load-client.ts"], {
      cwd: ROOT,
      env: { PATH: process.env["PATH"] ?? "" },
      stdio: ["pipe", "pipe", "pipe"],
    });
    const events: LoadEvent[] = [];
    let onEvent: (event: LoadEvent) => void = (event) => events.push(event);
    // One reader for the child's whole life: every line is one event.
    createInterface({ input: child.stdout! }).on("line", (line) => onEvent(JSON.parse(line) as LoadEvent));
    let stderr = "";
    child.stderr!.on("data", (chunk: Buffer) => (stderr = (stderr + String(chunk)).slice(-4_000)));
    const ready = await new Promise<Extract<LoadEvent, { ev: "ready" }>>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`load client did not start:\n${stderr}`)), 20_000);
      child.once("exit", (code) => reject(new Error(`load client exited with ${code}:\n${stderr}`)));
      onEvent = (event) => {
        clearTimeout(timer);
        if (event.ev === "ready") resolve(event);
        else reject(new Error(`load client: unexpected first event ${JSON.stringify(event)}`));
      };
      const early = events.shift();
      if (early) onEvent(early);
    }).catch(async (error: unknown) => {
      await terminate(child, 2_000);
      throw error;
    });
    const client = new LoadClient(child, { soft: ready.openFilesSoft, hard: ready.openFilesHard });
    onEvent = (event) => client.dispatch(event);
    child.stderr!.on("data", (chunk: Buffer) => (client.stderr = (client.stderr + String(chunk)).slice(-4_000)));
    child.once("exit", (code, signal) => client.exit(new Error(`load client exited (${code ?? signal}):\n${client.stderr}`)));
    return client;
  }

  private dispatch(event: LoadEvent): void {
    for (const waiter of this.waiters) {
      if (!waiter.match(event)) continue;
      this.waiters.delete(waiter);
      if (event.ev === "error") waiter.reject(new Error(`load client (${event.op}): ${event.message}`));
      else waiter.resolve(event);
      return;
    }
  }

  private exit(error: Error): void {
    this.exited = error;
    for (const waiter of this.waiters) waiter.reject(error);
    this.waiters.clear();
  }

  private send(command: LoadCommand): void {
    if (this.exited) throw this.exited;
    this.child.stdin!.write(`${JSON.stringify(command)}\n`);
  }

  private waitFor<E extends LoadEvent>(match: (event: LoadEvent) => boolean, timeoutMs: number, what: string): Promise<E> {
    if (this.exited) return Promise.reject(this.exited);
    return new Promise<E>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(new Error(`load client: no ${what} within ${timeoutMs} ms`));
      }, timeoutMs);
      const waiter: Waiter = {
        match,
        resolve: (event) => {
          clearTimeout(timer);
          resolve(event as E);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      };
      this.waiters.add(waiter);
    });
  }

  /**
   * Opens `count` more viewers of `url` (added to those open for the same URL), each done once it
   * has the frame with `marker`; resolves with the time it took.
   */
  async open(url: string, count: number, marker: string, concurrency: number, timeoutMs: number): Promise<number> {
    const done = this.waitFor<Extract<LoadEvent, { ev: "opened" }>>(
      (e) => e.ev === "opened" || (e.ev === "error" && e.op === "open"),
      timeoutMs + 60_000,
      "opened",
    );
    this.send({ op: "open", url, count, concurrency, marker, timeoutMs });
    return (await done).connectMs;
  }

  /**
   * Arms every viewer for `marker`; resolves once they are armed (so the update may be sent) with
   * a promise of the first and last arrival (wrapped: an async function would adopt a bare one).
   */
  async arm(seq: number, marker: string, timeoutMs: number): Promise<{ arrival: Promise<Arrival> }> {
    const armed = this.waitFor((e) => e.ev === "armed" && e.seq === seq, 30_000, `armed ${seq}`);
    armed.catch(() => {}); // awaited below
    const arrived = this.waitFor<Extract<LoadEvent, { ev: "arrived" }>>(
      (e) => (e.ev === "arrived" || e.ev === "error") && e.seq === seq,
      timeoutMs + 5_000,
      `arrival ${seq}`,
    ).then((e) => ({ firstAt: e.firstAt, lastAt: e.lastAt }));
    arrived.catch(() => {}); // the caller awaits it; no unhandled rejection if it gives up first
    this.send({ op: "arm", seq, marker, timeoutMs });
    await armed;
    return { arrival: arrived };
  }

  async status(): Promise<LoadStatus> {
    const done = this.waitFor<Extract<LoadEvent, { ev: "status" }>>((e) => e.ev === "status", 10_000, "status");
    this.send({ op: "status" });
    const { open, failed, rssBytes, cpuMs } = await done;
    return { open, failed, rssBytes, cpuMs };
  }

  /** Closes every viewer (the process stays up). */
  async close(): Promise<void> {
    const done = this.waitFor((e) => e.ev === "closed", 10_000, "closed");
    this.send({ op: "close" });
    await done;
  }
}
