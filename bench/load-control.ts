/** The benchmark's handle on the load process (bench/load-process.ts): commands out, events back as promises. */
import type { ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import type { LoadCommand, LoadEvent, LoadStatus } from "./load-process.js";
import { firstLine, register, spawnTsx, terminate } from "./processes.js";

interface Waiter {
  match: (event: LoadEvent) => boolean;
  settle: (event: LoadEvent | Error) => void;
}

export class LoadProcess {
  private readonly waiters = new Set<Waiter>();
  private exited: Error | null = null;
  readonly stop: () => Promise<void>;
  /** The load process's pid (bench/placement.ts places it). */
  get pid(): number {
    return this.child.pid!;
  }

  private constructor(private readonly child: ChildProcess) {
    // It exits by itself once its stdin closes; SIGTERM, then SIGKILL, if it does not.
    this.stop = register(async () => {
      child.stdin!.end();
      await terminate(child, 5_000);
    });
    createInterface({ input: child.stdout! }).on("line", (line) => this.dispatch(JSON.parse(line) as LoadEvent));
    child.once("exit", (code, signal) => {
      this.exited = new Error(`load process exited (${code ?? signal})`);
      for (const waiter of this.waiters) waiter.settle(this.exited);
      this.waiters.clear();
    });
  }

  static async start(): Promise<LoadProcess> {
    const child = spawnTsx("load-process.ts");
    try {
      await firstLine(child, (line) => (line === '{"ev":"ready"}' ? true : undefined), 20_000);
    } catch (error) {
      await terminate(child, 2_000);
      throw new Error(`load process: ${(error as Error).message}`, { cause: error });
    }
    return new LoadProcess(child);
  }

  private dispatch(event: LoadEvent): void {
    for (const waiter of this.waiters) {
      if (!waiter.match(event)) continue;
      this.waiters.delete(waiter);
      waiter.settle(event.ev === "error" ? new Error(`load process (${event.op}): ${event.message}`) : event);
      return;
    }
  }

  /** Sends `command` and resolves with the first event `match` takes (an "error" event rejects). */
  private ask<E extends LoadEvent>(command: LoadCommand | null, match: (event: LoadEvent) => boolean, timeoutMs: number): Promise<E> {
    if (this.exited) return Promise.reject(this.exited);
    const answer = new Promise<E>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(new Error(`load process: no answer to ${JSON.stringify(command)} within ${timeoutMs} ms`));
      }, timeoutMs);
      const waiter: Waiter = {
        match,
        settle: (event) => {
          clearTimeout(timer);
          if (event instanceof Error) reject(event);
          else resolve(event as E);
        },
      };
      this.waiters.add(waiter);
    });
    if (command) this.child.stdin!.write(`${JSON.stringify(command)}\n`);
    return answer;
  }

  /** Opens `count` more viewers of `url`, each done once it has the frame carrying `marker`. */
  async open(url: string, count: number, marker: string, concurrency: number, timeoutMs: number): Promise<void> {
    const command = { op: "open", url, count, concurrency, marker, timeoutMs } as const;
    await this.ask(command, (e) => e.ev === "opened" || (e.ev === "error" && e.op === "open"), timeoutMs + 60_000);
  }

  /**
   * Arms every viewer for `marker` and resolves once they are armed (so the update may be sent),
   * with the pending arrival of the first and last viewer (wrapped: an async function would adopt it).
   */
  async arm(seq: number, marker: string, timeoutMs: number): Promise<{ arrival: Promise<{ firstAt: number; lastAt: number }> }> {
    const forSeq = (e: LoadEvent) => "seq" in e && e.seq === seq;
    const armed = this.ask(null, (e) => e.ev === "armed" && forSeq(e), 30_000);
    const arrival = this.ask<Extract<LoadEvent, { ev: "arrived" }>>(null, (e) => (e.ev === "arrived" || e.ev === "error") && forSeq(e), timeoutMs + 5_000);
    arrival.catch(() => {}); // awaited by the caller; no unhandled rejection if it gives up first
    this.child.stdin!.write(`${JSON.stringify({ op: "arm", seq, marker, timeoutMs } satisfies LoadCommand)}\n`);
    await armed;
    return { arrival };
  }

  async status(): Promise<LoadStatus> {
    const { open, failed, bytes } = await this.ask<Extract<LoadEvent, { ev: "status" }>>({ op: "status" }, (e) => e.ev === "status", 10_000);
    return { open, failed, bytes };
  }
}
