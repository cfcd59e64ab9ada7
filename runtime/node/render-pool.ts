/**
 * The Node host's renderers (handlers/ports/renderers.ts): satori and resvg in a pool of render
 * processes, so no render runs on the thread that serves requests. Before it, one html render with
 * 60,000 "W" held /health for 4–15 s, a feMorphology PNG for 69 s, and 40 filtered rects for
 * minutes, SIGTERM included; 20,000 Hangul syllables took the heap to 1.5 GB.
 *
 * Processes, not worker threads: Worker.terminate() did not stop that 60,000-"W" layout (satori
 * inside Intl.Segmenter iteration): the thread kept computing for as long as measured (60 s, at
 * full CPU), process.exit() then hung waiting for it, and with a 1 GB thread heap the still-running
 * thread reached V8's fatal out-of-memory, which aborts the whole process — the server with it.
 * SIGKILL stops a child process at once, whatever it computes, and its out-of-memory is its own.
 *
 * - Every render has a hard deadline: past it, the process is killed and a fresh one started.
 *   html: RENDER_TIMEOUT_MS of satori's own work, as handlers/rendering/deadline.ts bills it — the
 *   process reports when the clock runs and when it pauses for fonts or emoji, which stay unbilled
 *   (bounded by ASSET_TIMEOUT_MS instead) — plus KILL_MARGIN_MS; PNG: PNG_TIMEOUT_MS.
 * - Every process has a V8 heap ceiling (--max-old-space-size); past it the process dies alone and
 *   its render fails. resvg's wasm memory is outside that heap and never shrinks: a process that
 *   keeps more than the same number of bytes after a render is replaced.
 * - Processes start lazily, up to `workers`, and take a render only once warm (satori, resvg and the
 *   default fonts loaded), so no deadline pays for a start. At most `queue` renders wait beyond
 *   the free processes; past that, 503 render_busy.
 * - Failures keep their meaning: the input's fault is the AppError the renderer threw (or
 *   render_limit_exceeded / png_render_limit_exceeded for a deadline or the ceiling), anything else
 *   a plain Error (500, logged).
 */
import { fork, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { availableParallelism } from "node:os";
import { fileURLToPath, pathToFileURL } from "node:url";
import { AppError, ASSET_TIMEOUT_MS, type ErrorCode, type Limits, type Renderers } from "../../handlers/index.js";
import type { Config } from "../config.js";
import type { FontFile } from "./assets.js";

/**
 * How long past its budget a render may run before its process is killed: the render's own
 * deadline rejects at the budget whenever satori yields, so this only covers the report's trip
 * between processes and a loaded event loop; a render that overran is refused either way.
 */
export const KILL_MARGIN_MS = 100;
/** Longest a new process may take to load satori, resvg and the fonts (measured 0.4–1.4 s on a loaded 2-core machine). */
export const WARM_UP_TIMEOUT_MS = 30_000;

export interface RenderPoolOptions {
  /** Render processes at most. */
  workers: number;
  /** Each process's V8 heap ceiling, and the wasm memory it may keep after a render. */
  memoryBytes: number;
  /** Renders that may wait beyond the free processes. */
  queue: number;
  /** Hard deadline of one PNG render. */
  pngTimeoutMs: number;
  /** The app's limits: the renderers in the processes check the same ones (renderTimeoutMs is the html budget). */
  limits: Limits;
  extraFonts?: FontFile[];
  /** A process was stopped or died; the host logs it. */
  onReplaced?: (event: { reason: string; task: "html" | "png" | "none" }) => void;
}

/** What a render process is given at start (its first message). */
export interface WorkerData {
  limits: Limits;
  extraFonts?: FontFile[];
}

export type RenderRequest =
  | { kind: "html"; id: number; markup: string; width: number; height: number }
  | { kind: "png"; id: number; svg: string; scale: number };

export type FailureReport = { code: ErrorCode; message: string } | { code?: undefined; message: string };

/** Messages from a process: warm, a clock report (html), a result or a failure with the memory it keeps. */
export type WorkerMessage =
  | { type: "ready" }
  | { type: "broken"; message: string }
  | { type: "clock"; id: number; running: boolean; billedMs: number }
  | { type: "done"; id: number; result: string | Uint8Array<ArrayBuffer>; externalBytes: number }
  | { type: "failed"; id: number; error: FailureReport; externalBytes: number };

/** Messages to a process: its settings once, then renders. */
export type PoolMessage = { type: "start"; data: WorkerData } | ({ type: "render" } & RenderRequest);

interface Task {
  request: RenderRequest;
  resolve: (result: string | Uint8Array<ArrayBuffer>) => void;
  reject: (error: Error) => void;
}

interface Thread {
  child: ChildProcess;
  ready: boolean;
  task?: Task;
  timer?: ReturnType<typeof setTimeout>;
  /** The end of its stderr, kept rather than forwarded: V8 says "heap out of memory" there (with a native stack) before it aborts. */
  stderr: string;
}

/**
 * The entry beside this file: render-worker.js once compiled (dist/), render-worker.ts from source
 * (tests, `npm run dev`), which the child loads through tsx, found by path so that this works from
 * any process (vitest runs the server in its own).
 */
function workerEntry(): { file: string; execArgv: string[] } {
  if (!import.meta.url.endsWith(".ts")) return { file: fileURLToPath(new URL("./render-worker.js", import.meta.url)), execArgv: [] };
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;
  return { file: fileURLToPath(new URL("./render-worker.ts", import.meta.url)), execArgv: ["--import", tsx] };
}

/**
 * The CPUs this process may use: the machine's, or fewer under a cgroup CPU quota (a pod's
 * `limits.cpu`), which os.availableParallelism does not see in Node 20. At least 1.
 */
export function usableCpus(): number {
  const cpus = availableParallelism();
  const quota = (() => {
    try {
      const [max, period] = readFileSync("/sys/fs/cgroup/cpu.max", "utf8").trim().split(/\s+/);
      if (max && max !== "max") return Number(max) / Number(period);
    } catch {
      // not cgroup v2; try v1
    }
    try {
      const max = Number(readFileSync("/sys/fs/cgroup/cpu/cpu.cfs_quota_us", "utf8"));
      const period = Number(readFileSync("/sys/fs/cgroup/cpu/cpu.cfs_period_us", "utf8"));
      if (max > 0 && period > 0) return max / period;
    } catch {
      // no quota visible
    }
    return undefined;
  })();
  return quota && Number.isFinite(quota) ? Math.max(1, Math.min(cpus, Math.ceil(quota))) : cpus;
}

/** The environment of a render process: this one's, without NODE_OPTIONS (its heap flag, a profiler's --import are not for renders). */
function childEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env["NODE_OPTIONS"];
  return env;
}

export class RenderPool implements Renderers {
  private readonly threads = new Set<Thread>();
  private readonly waiting: Task[] = [];
  private readonly entry = workerEntry();
  private nextId = 1;
  private closed = false;
  /** Processes replaced, by reason (tests and metrics read it). */
  readonly replaced = { deadline: 0, memory: 0, kept: 0, crashed: 0 };

  constructor(private readonly options: RenderPoolOptions) {}

  html(markup: string, width: number, height: number): Promise<string> {
    return this.run({ kind: "html", id: this.nextId++, markup, width, height }) as Promise<string>;
  }

  png(svg: string, scale: number): Promise<Uint8Array<ArrayBuffer>> {
    return this.run({ kind: "png", id: this.nextId++, svg, scale }).then((bytes) => {
      // The IPC channel hands over a Buffer's bytes; give callers a plain Uint8Array of its own.
      const view = bytes as Uint8Array;
      return new Uint8Array(view.buffer, view.byteOffset, view.byteLength) as Uint8Array<ArrayBuffer>;
    });
  }

  /** Kills every render process; renders still waiting or running fail. */
  async close(): Promise<void> {
    this.closed = true;
    for (const task of this.waiting.splice(0)) task.reject(new Error("the render pool is closed"));
    await Promise.all([...this.threads].map((thread) => this.stop(thread, new Error("the render pool is closed"))));
  }

  private run(request: RenderRequest): Promise<string | Uint8Array<ArrayBuffer>> {
    if (this.closed) return Promise.reject(new Error("the render pool is closed"));
    const busy = [...this.threads].filter((thread) => thread.task).length;
    if (this.waiting.length >= this.options.workers - busy + this.options.queue) {
      return Promise.reject(
        new AppError("render_busy", `all ${this.options.workers} render processes are busy and ${this.options.queue} renders wait; retry shortly`, {
          "Retry-After": "1",
        }),
      );
    }
    return new Promise((resolve, reject) => {
      this.waiting.push({ request, resolve, reject });
      this.dispatch();
    });
  }

  /** Hands waiting renders to warm idle processes, and starts processes while renders wait and there is room. */
  private dispatch(): void {
    for (const thread of this.threads) {
      if (this.waiting.length === 0) return;
      if (thread.ready && !thread.task) this.assign(thread, this.waiting.shift()!);
    }
    const starting = [...this.threads].filter((thread) => !thread.ready).length;
    for (let n = starting; n < this.waiting.length && this.threads.size < this.options.workers; n++) this.spawn();
  }

  private spawn(): void {
    const heapMb = Math.max(16, Math.floor(this.options.memoryBytes / (1024 * 1024)));
    const child = fork(this.entry.file, [], {
      execArgv: [...this.entry.execArgv, `--max-old-space-size=${heapMb}`],
      env: childEnv(),
      serialization: "advanced",
      stdio: ["ignore", "inherit", "pipe", "ipc"],
    });
    const thread: Thread = { child, ready: false, stderr: "" };
    this.threads.add(thread);
    child.unref();
    child.channel?.unref();
    child.stderr!.on("data", (chunk: Buffer) => {
      thread.stderr = (thread.stderr + String(chunk)).slice(-2_000);
    });
    (child.stderr as unknown as { unref?: () => void }).unref?.();
    thread.timer = setTimeout(() => void this.broken(thread, `did not warm up within ${WARM_UP_TIMEOUT_MS} ms`), WARM_UP_TIMEOUT_MS);
    child.on("message", (message: WorkerMessage) => this.receive(thread, message));
    child.on("error", (error) => {
      if (this.threads.has(thread) && !thread.ready) void this.broken(thread, error.message);
    });
    child.on("exit", (code, signal) => {
      if (!this.threads.has(thread)) return;
      // V8 aborts a process whose heap is full, after saying so on stderr.
      if (thread.ready && thread.task && (/heap out of memory/i.test(thread.stderr) || signal === "SIGABRT")) {
        this.replaced.memory++;
        this.finish(thread, this.limitError(thread.task, `ran out of its ${this.options.memoryBytes} bytes of memory`), "memory");
      } else if (!thread.ready) void this.broken(thread, `exited (${signal ?? code}) while warming up: ${thread.stderr.slice(-500)}`);
      else {
        this.replaced.crashed++;
        this.finish(thread, new Error(`render process exited (${signal ?? code}): ${thread.stderr.slice(-500)}`), "crashed");
      }
    });
    this.send(thread, { type: "start", data: { limits: this.options.limits, extraFonts: this.options.extraFonts } });
  }

  private send(thread: Thread, message: PoolMessage): void {
    thread.child.send(message, (error) => {
      if (error && this.threads.has(thread)) {
        this.replaced.crashed++;
        this.finish(thread, new Error(`render process unreachable: ${error.message}`), "crashed");
      }
    });
  }

  private receive(thread: Thread, message: WorkerMessage): void {
    if (!this.threads.has(thread)) return;
    switch (message.type) {
      case "ready":
        clearTimeout(thread.timer);
        thread.ready = true;
        this.dispatch();
        return;
      case "broken":
        void this.broken(thread, message.message);
        return;
      case "clock":
        if (thread.task?.request.id !== message.id) return;
        // Running: what is left of the budget; paused for an asset: that wait's own bound.
        this.arm(thread, message.running ? Math.max(0, this.options.limits.renderTimeoutMs - message.billedMs) + KILL_MARGIN_MS : ASSET_TIMEOUT_MS + KILL_MARGIN_MS);
        return;
      case "done":
      case "failed": {
        const task = thread.task;
        if (task?.request.id !== message.id) return;
        clearTimeout(thread.timer);
        thread.task = undefined;
        thread.child.unref();
        if (message.type === "done") task.resolve(message.result);
        else task.reject(message.error.code ? new AppError(message.error.code, message.error.message) : new Error(message.error.message));
        if (message.externalBytes > this.options.memoryBytes) {
          this.replaced.kept++;
          this.retire(thread, "kept", task.request.kind);
        } else this.dispatch();
        return;
      }
    }
  }

  private assign(thread: Thread, task: Task): void {
    thread.task = task;
    // A render in flight keeps this process alive; an idle pool does not.
    thread.child.ref();
    // html: until the clock starts, the markup is parsed and fonts are fetched (bounded by ASSET_TIMEOUT_MS).
    this.arm(thread, task.request.kind === "png" ? this.options.pngTimeoutMs : ASSET_TIMEOUT_MS + KILL_MARGIN_MS);
    this.send(thread, { type: "render", ...task.request });
  }

  private arm(thread: Thread, ms: number): void {
    clearTimeout(thread.timer);
    thread.timer = setTimeout(() => {
      if (!thread.task) return;
      this.replaced.deadline++;
      const over =
        thread.task.request.kind === "png" ? `ran past ${this.options.pngTimeoutMs} ms` : `layout ran past ${this.options.limits.renderTimeoutMs} ms`;
      this.finish(thread, this.limitError(thread.task, over), "deadline");
    }, ms);
  }

  private limitError(task: Task | undefined, what: string): AppError {
    return task?.request.kind === "png"
      ? new AppError("png_render_limit_exceeded", `the PNG render ${what}; a smaller scale may work`)
      : new AppError("render_limit_exceeded", `html render ${what}`);
  }

  /** Fails the process's render with `error`, kills the process and starts another in its place. */
  private finish(thread: Thread, error: Error, reason: string): void {
    const task = thread.task;
    thread.task = undefined;
    task?.reject(error);
    this.retire(thread, reason, task?.request.kind ?? "none");
  }

  private retire(thread: Thread, reason: string, task: "html" | "png" | "none"): void {
    void this.stop(thread, new Error("render process stopped"));
    this.options.onReplaced?.({ reason, task });
    if (this.closed) return;
    // Replace at once, so the next render finds a warm process; one that never warmed is not replaced until asked.
    this.spawn();
    this.dispatch();
  }

  /** A process that could not warm up: the renders waiting fail (a server fault), and no replacement is started until the next render. */
  private async broken(thread: Thread, why: string): Promise<void> {
    await this.stop(thread, new Error(`render process failed to start: ${why}`));
    for (const task of this.waiting.splice(0)) task.reject(new Error(`render process failed to start: ${why}`));
  }

  /** SIGKILL: stops it whatever it computes. Resolves once it has exited. */
  private async stop(thread: Thread, error: Error): Promise<void> {
    if (!this.threads.delete(thread)) return;
    clearTimeout(thread.timer);
    thread.task?.reject(error);
    thread.task = undefined;
    const { child } = thread;
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    // Held until it has exited: an unreferenced child's exit is not waited for, and would never be seen.
    child.ref();
    child.kill("SIGKILL");
    await exited;
  }
}

/** The pool as the Node host's configuration sets it up. */
export function renderPoolFromConfig(config: Config, options: Pick<RenderPoolOptions, "extraFonts" | "onReplaced"> = {}): RenderPool {
  return new RenderPool({
    workers: config.renderWorkers ?? usableCpus(),
    memoryBytes: config.renderWorkerMemoryBytes,
    queue: config.renderQueue,
    pngTimeoutMs: config.pngTimeoutMs,
    limits: config.limits,
    ...options,
  });
}
