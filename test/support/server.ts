import { spawn, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import pino from "pino";
import type { Ports } from "../../handlers/index.js";
import { loadConfig } from "../../runtime/config.js";
import { startServer, type RunningServer } from "../../runtime/node/server.js";

const root = fileURLToPath(new URL("../..", import.meta.url));

/** The Node host in this process on a free port, with settings given as environment variables. */
export async function startInProcess(ports: Ports, env: Record<string, string> = {}): Promise<RunningServer> {
  const config = loadConfig({ PORT: "0", HOST: "127.0.0.1", ...env });
  return startServer(config, ports, pino({ level: "silent" }));
}

export interface ServerProcess {
  url: string;
  process: ChildProcess;
  logs: string[];
  /** Sends a signal and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/**
 * The real entry point (runtime/node/main.ts) as a child process, as a replica would run. Without
 * a DRAIN_SECONDS of its own it stops on SIGTERM without a drain, so `stop()` is prompt even with
 * streams open; test/drain.test.ts sets it. `keepLogs: false` (benchmarks) stops reading its log
 * lines once it listens — they are drained unread, so parsing them costs the load generator
 * nothing — and leaves `logs` with the start-up lines only. `built: true` (benchmarks) runs the
 * compiled server in dist/ instead of the sources through tsx, whose transform wraps every
 * function made at run time in a naming call.
 */
export async function spawnServer(env: Record<string, string> = {}, args: string[] = [], { keepLogs = true, built = false } = {}): Promise<ServerProcess> {
  // `built`: the compiled server in dist/ (npm run build), as `npm start` and the image run it.
  const entry = built ? ["dist/runtime/node/main.js"] : ["--import", "tsx", "runtime/node/main.ts"];
  const child = spawn(process.execPath, [...entry, ...args], {
    cwd: root,
    env: { PATH: process.env.PATH ?? "", PORT: "0", HOST: "127.0.0.1", LOG_LEVEL: "info", DRAIN_SECONDS: "0", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const logs: string[] = [];
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  child.stderr!.on("data", (chunk) => logs.push(String(chunk)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${logs.join("")}`)), 20_000);
    const lines = createInterface({ input: child.stdout! });
    lines.on("line", (line) => {
      logs.push(line);
      try {
        const entry = JSON.parse(line) as { msg?: string; url?: string };
        if (entry.msg === "listening" && entry.url) {
          clearTimeout(timer);
          resolve(entry.url);
          if (!keepLogs) {
            lines.close();
            child.stdout!.resume();
          }
        }
      } catch {
        // not a log line
      }
    });
    void exited.then((code) => reject(new Error(`server exited with ${code}:\n${logs.join("\n")}`)));
  });
  return {
    url,
    process: child,
    logs,
    async stop(signal = "SIGTERM") {
      if (child.exitCode === null) child.kill(signal);
      return exited;
    },
  };
}

/** Parsed JSON log lines of a server process (other output skipped). */
export const logLines = (server: ServerProcess): Record<string, unknown>[] =>
  server.logs.flatMap((line) => {
    try {
      return [JSON.parse(line) as Record<string, unknown>];
    } catch {
      return [];
    }
  });
