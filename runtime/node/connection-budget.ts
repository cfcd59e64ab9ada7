/**
 * How many connections and streams this process may hold, from the open-files limit. Every
 * connection is a file descriptor; at the limit accept() fails, Redis cannot reconnect, fonts
 * cannot be read, and /health is as unreachable as everything else. So the HTTP server takes at
 * most MAX_CONNECTIONS connections (more are closed as they arrive), kept RESERVED_FILES below
 * the limit, and streams at most MAX_STREAMS, kept RESERVED_CONNECTIONS below MAX_CONNECTIONS so
 * that a flood of streams still leaves connections for /health, /ready and writes.
 */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";

/** Descriptors left to everything but client connections: Redis, files read, stdio, the event loop. */
export const RESERVED_FILES = 128;
/** Connections left free of streams when streams are at their cap. */
export const RESERVED_CONNECTIONS = 64;
/**
 * MAX_CONNECTIONS' default is MAX_STREAMS plus this many: room for /health, /ready, snapshots and
 * writes beside a full set of streams. A connection that sends nothing costs at most 8 KiB of RSS
 * (measured as DEFAULT_MAX_STREAMS was, in handlers/options.ts: 5,000 raw sockets that connect
 * and stay silent +38 MiB, 10,000 +40 MiB), so 1,000 more cost under 8 MiB. Silent ones are closed
 * anyway, with a 408, once the 30 s header timeout has passed (Node checks every 30 s).
 */
export const CONNECTIONS_BEYOND_STREAMS = 1_000;

/**
 * The soft limit on open files of this process (Node raises it to the hard limit at startup),
 * from /proc on Linux, else from the shell; Infinity when unlimited, undefined when unknown.
 */
export function openFilesLimit(): number | undefined {
  try {
    const match = /^Max open files\s+(\S+)/m.exec(readFileSync("/proc/self/limits", "utf8"));
    if (match) return match[1] === "unlimited" ? Infinity : Number(match[1]);
  } catch {
    // not Linux
  }
  const shell = spawnSync("sh", ["-c", "ulimit -n"], { encoding: "utf8", timeout: 2_000 });
  const value = shell.stdout?.trim();
  if (value === "unlimited") return Infinity;
  return value && /^\d+$/.test(value) ? Number(value) : undefined;
}

export interface ConnectionBudget {
  maxConnections: number;
  maxStreams: number;
  /** Why a value is lower than configured; each becomes a warning at startup. */
  lowered: string[];
}

/**
 * The connection and stream caps this process can honour. A value that does not fit under the
 * one above it is lowered, and the reason reported, rather than left to fail under load.
 */
export function connectionBudget(settings: { maxConnections?: number; maxStreams: number }, openFiles: number | undefined): ConnectionBudget {
  const lowered: string[] = [];
  let maxConnections = settings.maxConnections ?? settings.maxStreams + CONNECTIONS_BEYOND_STREAMS;
  const fitting = openFiles === undefined ? Infinity : openFiles - RESERVED_FILES;
  if (maxConnections > fitting) {
    lowered.push(
      `MAX_CONNECTIONS lowered from ${maxConnections} to ${Math.max(fitting, 1)}: the open-files limit is ${openFiles}, ` +
        `and ${RESERVED_FILES} are kept for everything but connections (raise ulimit -n to allow more)`,
    );
    maxConnections = Math.max(fitting, 1);
  }
  let maxStreams = settings.maxStreams;
  const streamRoom = Math.max(maxConnections - RESERVED_CONNECTIONS, 1);
  if (maxStreams > streamRoom) {
    lowered.push(
      `MAX_STREAMS lowered from ${maxStreams} to ${streamRoom}: ${RESERVED_CONNECTIONS} of MAX_CONNECTIONS=${maxConnections} ` +
        "are kept for /health, /ready and writes",
    );
    maxStreams = streamRoom;
  }
  return { maxConnections, maxStreams, lowered };
}
