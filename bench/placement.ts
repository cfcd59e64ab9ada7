/**
 * Where the processes of the answer rows run (docs/FACTS.md). On one machine, the writer that
 * times an update is woken by the server's answer on the server's own CPU, and there waits out the
 * fan-out the server starts right after answering; elsewhere it shares a CPU with the load process
 * reading the frames. Either way it measured the machine's scheduling, 1.5–3 ms of it, not when the
 * answer left. So while the answers are timed, the server has CPU 0 to itself, this process and
 * the load process share the rest, and the load process runs at the lowest priority, so the
 * writer is run the moment its answer arrives. Linux only (taskset, /proc); elsewhere, or on one
 * CPU, nothing is placed and the rows say so.
 */
import { execFileSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { availableParallelism, setPriority } from "node:os";

const LOWEST_PRIORITY = 19;

function affinity(pid: number, cpus: string): void {
  execFileSync("taskset", ["-a", "-pc", cpus, String(pid)], { stdio: "ignore" });
}

/** Every thread of `pid` at `priority` (setpriority is per thread on Linux). */
function prioritize(pid: number, priority: number): void {
  for (const task of readdirSync(`/proc/${pid}/task`)) setPriority(Number(task), priority);
}

/**
 * Runs `timed` with the server on CPU 0 and this process (and the load process, lowest priority)
 * on the others; afterwards the server and this process may run anywhere again. The load process
 * keeps its low priority: it is stopped or idle after. `placed` is false where that cannot be done.
 */
export async function placedForAnswers<T>(serverPid: number, loadPid: number | null, timed: () => Promise<T>): Promise<{ value: T; placed: boolean }> {
  const cpus = availableParallelism();
  const anywhere = () => {
    affinity(serverPid, `0-${cpus - 1}`);
    affinity(process.pid, `0-${cpus - 1}`);
  };
  let placed = false;
  if (process.platform === "linux" && cpus >= 2) {
    try {
      const rest = cpus === 2 ? "1" : `1-${cpus - 1}`;
      affinity(serverPid, "0");
      affinity(process.pid, rest);
      if (loadPid !== null) {
        affinity(loadPid, rest);
        prioritize(loadPid, LOWEST_PRIORITY);
      }
      placed = true;
    } catch {
      // No taskset (or a process gone): measured where the scheduler puts them.
      try {
        anywhere();
      } catch {
        // nothing was placed
      }
    }
  }
  try {
    return { value: await timed(), placed };
  } finally {
    if (placed) anywhere();
  }
}
