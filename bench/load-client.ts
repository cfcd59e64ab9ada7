/**
 * The load process: holds N stream viewers of one URL and reports, for each armed marker, when
 * the first and the LAST viewer had the complete frame, on the shared monotonic clock
 * (bench/clock.ts). Driven by bench/load-driver.ts with one JSON command per line on stdin; it
 * answers with one JSON event per line on stdout (diagnostics go to stderr). It exits when stdin
 * closes, so it never outlives the benchmark.
 *
 *   {"op":"open","url":…,"count":N,"concurrency":C,"marker":M,"timeoutMs":T} → {"ev":"opened",…}
 *       (adds N viewers to those already open for the same URL)
 *   {"op":"arm","seq":S,"marker":M,"timeoutMs":T} → {"ev":"armed","seq":S}, later {"ev":"arrived",…}
 *   {"op":"status"} → {"ev":"status",…}
 *   {"op":"close"} → {"ev":"closed"}
 */
import { readFileSync } from "node:fs";
import { createInterface } from "node:readline";
import { hrMs } from "./clock.js";
import { Fleet } from "./viewers.js";

export type LoadCommand =
  | { op: "open"; url: string; count: number; concurrency: number; marker: string; timeoutMs: number }
  | { op: "arm"; seq: number; marker: string; timeoutMs: number }
  | { op: "status" }
  | { op: "close" };

export interface LoadStatus {
  open: number;
  failed: number;
  rssBytes: number;
  /** User + system CPU of this process so far, ms. */
  cpuMs: number;
}

export type LoadEvent =
  | { ev: "ready"; pid: number; openFilesSoft: number; openFilesHard: number }
  | { ev: "opened"; connectMs: number; open: number }
  | { ev: "armed"; seq: number }
  | { ev: "arrived"; seq: number; firstAt: number; lastAt: number }
  | ({ ev: "status" } & LoadStatus)
  | { ev: "closed" }
  | { ev: "error"; op: string; seq?: number; message: string };

const send = (event: LoadEvent) => process.stdout.write(`${JSON.stringify(event)}\n`);

/** "Max open files" of this process, as the kernel enforces it. */
function openFiles(): { soft: number; hard: number } {
  const line = /^Max open files\s+(\S+)\s+(\S+)/m.exec(readFileSync("/proc/self/limits", "utf8"));
  const value = (raw: string | undefined) => (raw === "unlimited" ? Number.MAX_SAFE_INTEGER : Number(raw));
  return { soft: value(line?.[1]), hard: value(line?.[2]) };
}

let fleet: Fleet | null = null;

function status(): LoadStatus {
  const usage = process.cpuUsage();
  return {
    open: fleet ? fleet.clients.length - fleet.failed : 0,
    failed: fleet?.failed ?? 0,
    rssBytes: process.memoryUsage.rss(),
    cpuMs: (usage.user + usage.system) / 1000,
  };
}

async function handle(command: LoadCommand): Promise<void> {
  switch (command.op) {
    case "open": {
      // Viewers of the same URL are added to the open ones (RSS is read in steps).
      if (fleet && fleet.url !== command.url) fleet.close();
      if (!fleet || fleet.url !== command.url) fleet = new Fleet(command.url, hrMs);
      const started = hrMs();
      try {
        await fleet.open(command.count, command.marker, command.concurrency, command.timeoutMs);
        send({ ev: "opened", connectMs: hrMs() - started, open: fleet.clients.length });
      } catch (error) {
        send({ ev: "error", op: "open", message: (error as Error).message });
      }
      return;
    }
    case "arm": {
      const { seq } = command;
      if (!fleet) {
        send({ ev: "error", op: "arm", seq, message: "no viewers open" });
        return;
      }
      const arrival = fleet.expectAll(command.marker, command.timeoutMs);
      send({ ev: "armed", seq });
      try {
        const { first, last } = await arrival;
        send({ ev: "arrived", seq, firstAt: first, lastAt: last });
      } catch (error) {
        send({ ev: "error", op: "arm", seq, message: (error as Error).message });
      }
      return;
    }
    case "status":
      send({ ev: "status", ...status() });
      return;
    case "close":
      fleet?.close();
      fleet = null;
      send({ ev: "closed" });
      return;
  }
}

const limits = openFiles();
process.stderr.write(`[load] pid ${process.pid}, open files: soft ${limits.soft}, hard ${limits.hard}\n`);
send({ ev: "ready", pid: process.pid, openFilesSoft: limits.soft, openFilesHard: limits.hard });

createInterface({ input: process.stdin })
  .on("line", (line) => {
    if (!line.trim()) return;
    void handle(JSON.parse(line) as LoadCommand);
  })
  .on("close", () => {
    fleet?.close();
    process.exit(0);
  });
