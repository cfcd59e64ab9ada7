/**
 * What a Redis Cluster costs against one redis-server, under the same real server processes in
 * the same run:
 *
 * 1. Fan-out: N sessions, each watched by V viewers spread over every server process, written to
 *    at a fixed rate, one session after another, each through its own process (so consecutive
 *    updates go through the processes in turn and most frames cross processes through Redis).
 *    Per frame: update sent (stamped by this process) → that viewer has the complete frame
 *    (stamped by the viewer process), on the machine-wide clock of bench/clock.ts; updates/s
 *    answered; the servers' CPU per delivered frame; and the CPU share of everything else. Both
 *    topologies stay up with their viewers open, and take turns in short windows.
 * 2. Redis connections each server process holds, by kind (bench/topologies.ts says how each
 *    connection is attributed to its process).
 * 3. The write latency REDIS_WAIT_REPLICAS=1 adds on the cluster: PATCH round trips at a fixed
 *    concurrency, no viewers, with and without it, each on freshly started server processes.
 *
 * The viewers live in a process of their own, this same file run with --viewers: bench/load-process.ts
 * arms every viewer for one marker, and here each session has its own markers, so a viewer reports
 * each frame of its session it sees.
 *
 *   npx tsx bench/redis-ha.ts                  3 processes, 100 sessions × 30 viewers, 100 updates/s, 3 × 5 s each
 *   npx tsx bench/redis-ha.ts --quick          30 sessions × 20 viewers, 60 updates/s, 2 × 2.5 s each
 *   npx tsx bench/redis-ha.ts --processes 4    another number of server processes
 */
import type { ChildProcess } from "node:child_process";
import http from "node:http";
import os from "node:os";
import { createInterface } from "node:readline";
import { hrMs } from "./clock.js";
import { firstLine, register, runBenchmark, spawnTsx, terminate, type Server } from "./processes.js";
import { summarize } from "./stats.js";
import { oursSubject, type Subject } from "./subjects.js";
import { cpuSeconds, machineBusySeconds, processTree } from "./cpu.js";
import { connectionsByProcess, spawnServers, startTopology, type Connections, type Topology, type TopologyName, type Unattributed } from "./topologies.js";

const argv = process.argv.slice(2);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// ---------------------------------------------------------------------------------------------
// The viewer process (--viewers): one JSON command per line on stdin, one JSON reply per line.

interface ViewerTarget {
  url: string;
  session: number;
  /** What precedes the update number in this session's frames. */
  prefix: string;
  /** A text of the frame the viewer must get first (the session's current frame). */
  first: string;
}

type ViewerCommand = { op: "open"; targets: ViewerTarget[]; concurrency: number; timeoutMs: number } | { op: "count" } | { op: "collect" };
type ViewerReply =
  | { ev: "ready" }
  | { ev: "opened"; open: number }
  | { ev: "count"; arrivals: number; failed: number }
  | { ev: "arrivals"; arrivals: Record<string, number[]>; failed: number }
  | { ev: "error"; message: string };

function runViewers(): void {
  /** "session:update" → when each viewer of the session had that frame. */
  const arrivals = new Map<string, number[]>();
  let arrivalCount = 0;
  let open = 0;
  let failed = 0;
  const arrived = (key: string, at: number) => {
    const list = arrivals.get(key);
    if (list) list.push(at);
    else arrivals.set(key, [at]);
    arrivalCount++;
  };

  /** One stream: resolves at its first frame, then records every later frame of its session. */
  const view = ({ url, session, prefix, first }: ViewerTarget, timeoutMs: number) =>
    new Promise<void>((resolve, reject) => {
      let ready = false;
      let gone = false;
      let last = -1;
      let buffer = "";
      const fail = (error: Error) => {
        clearTimeout(timer);
        if (!gone) failed++;
        gone = true;
        reject(error);
      };
      const timer = setTimeout(() => fail(new Error(`no first frame within ${timeoutMs} ms`)), timeoutMs);
      const request = http.get(url, { agent: false }, (response) => {
        const boundary = /boundary=([^;\s]+)/.exec(response.headers["content-type"] ?? "")?.[1];
        if (response.statusCode !== 200 || !boundary) {
          response.resume();
          fail(new Error(`GET ${url}: ${response.statusCode}`));
          return;
        }
        // A part is complete once the next part's delimiter follows it.
        const delimiter = `\r\n--${boundary}\r\n`;
        response.setEncoding("latin1");
        response.on("data", (chunk: string) => {
          const now = hrMs();
          buffer += chunk;
          for (let end = buffer.indexOf(delimiter); end >= 0; end = buffer.indexOf(delimiter)) {
            const part = buffer.slice(0, end);
            buffer = buffer.slice(end + delimiter.length);
            if (!ready) {
              if (!part.includes(first)) continue;
              ready = true;
              clearTimeout(timer);
              open++;
              resolve();
              continue;
            }
            const at = part.indexOf(prefix);
            if (at < 0) continue;
            const update = parseInt(part.slice(at + prefix.length), 10);
            // A keep-alive resend repeats the current frame: only a newer one counts.
            if (update > last) {
              last = update;
              arrived(`${session}:${update}`, now);
            }
          }
        });
        response.on("error", fail);
        response.on("close", () => fail(new Error("stream closed by the server")));
      });
      request.on("error", fail);
    });

  const openAll = async (targets: ViewerTarget[], concurrency: number, timeoutMs: number) => {
    let next = 0;
    let failure: Error | null = null;
    const worker = async () => {
      while (next < targets.length && !failure) await view(targets[next++]!, timeoutMs).catch((error: Error) => (failure ??= error));
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, targets.length) }, worker));
    if (failure) throw new Error(`${failed} of ${targets.length} viewers failed, the first: ${(failure as Error).message}`);
  };

  const reply = (message: ViewerReply) => process.stdout.write(`${JSON.stringify(message)}\n`);
  const handle = async (command: ViewerCommand): Promise<void> => {
    try {
      if (command.op === "open") {
        await openAll(command.targets, command.concurrency, command.timeoutMs);
        reply({ ev: "opened", open });
      } else if (command.op === "count") reply({ ev: "count", arrivals: arrivalCount, failed });
      else reply({ ev: "arrivals", arrivals: Object.fromEntries(arrivals), failed });
    } catch (error) {
      reply({ ev: "error", message: (error as Error).message });
    }
  };
  reply({ ev: "ready" });
  createInterface({ input: process.stdin })
    .on("line", (line) => {
      if (line.trim()) void handle(JSON.parse(line) as ViewerCommand);
    })
    .on("close", () => process.exit(0));
}

/** The benchmark's handle on the viewer process: one command at a time, one reply each. */
class Viewers {
  private readonly waiting: ((reply: ViewerReply | Error) => void)[] = [];
  readonly stop: () => Promise<void>;

  private constructor(
    private readonly child: ChildProcess,
    readonly pid: number,
  ) {
    this.stop = register(async () => {
      child.stdin!.end();
      await terminate(child, 5_000);
    });
    createInterface({ input: child.stdout! }).on("line", (line) => this.waiting.shift()?.(JSON.parse(line) as ViewerReply));
    child.once("exit", (code, signal) => {
      for (const settle of this.waiting.splice(0)) settle(new Error(`viewer process exited (${code ?? signal})`));
    });
  }

  static async start(): Promise<Viewers> {
    const child = spawnTsx("redis-ha.ts", { args: ["--viewers"] });
    try {
      await firstLine(child, (line) => (line === '{"ev":"ready"}' ? true : undefined), 20_000);
    } catch (error) {
      await terminate(child, 2_000);
      throw new Error(`viewer process: ${(error as Error).message}`, { cause: error });
    }
    return new Viewers(child, child.pid!);
  }

  ask<E extends ViewerReply["ev"]>(command: ViewerCommand, timeoutMs: number): Promise<Extract<ViewerReply, { ev: E }>> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`viewer process: no answer to ${command.op} within ${timeoutMs} ms`)), timeoutMs);
      this.waiting.push((reply) => {
        clearTimeout(timer);
        if (reply instanceof Error) reject(reply);
        else if (reply.ev === "error") reject(new Error(`viewer process (${command.op}): ${reply.message}`));
        else resolve(reply as Extract<ViewerReply, { ev: E }>);
      });
      this.child.stdin!.write(`${JSON.stringify(command)}\n`);
    });
  }
}

// ---------------------------------------------------------------------------------------------
// The benchmark.

const quick = argv.includes("--quick");
const processesFlag = argv.find((a) => a.startsWith("--processes="))?.slice("--processes=".length) ?? (argv.includes("--processes") ? argv[argv.indexOf("--processes") + 1] : undefined);
const PROCESSES = processesFlag === undefined ? 3 : Number(processesFlag);
const PLAN = quick
  ? { sessions: 30, viewersPerSession: 20, rate: 60, rounds: 2, warmupS: 2, rewarmS: 1, windowS: 2.5, waitConcurrency: 8, waitWarmupS: 1, waitWindowS: 3 }
  : { sessions: 100, viewersPerSession: 30, rate: 100, rounds: 3, warmupS: 3, rewarmS: 1, windowS: 5, waitConcurrency: 8, waitWarmupS: 2, waitWindowS: 6 };
const DEADLINE_MS = quick ? 120_000 : 300_000;

const startedAt = performance.now();
const log = (message: string) => console.error(`[redis-ha ${((performance.now() - startedAt) / 1000).toFixed(0).padStart(3)} s] ${message}`);

interface FanoutRow {
  toViewerMs: { p50: number; p99: number; max: number; count: number };
  updatesPerSecond: number;
  failedUpdates: number;
  delivered: number;
  expected: number;
  /** CPU seconds of every server process (with its render processes) per delivered frame. */
  serverCpuPerFrameS: number;
  /** Cores used over the measured windows; `rest`: the machine's busy time not spent by any process of this run (other programs). */
  cores: { servers: number; redis: number; viewers: number; writer: number; rest: number };
  connections: Connections[];
  unattributed: Unattributed;
  firstFailure: string | null;
}

/** Creates the sessions, a few at a time, session i on process i mod P. */
async function createSessions(servers: Server[], count: number): Promise<Subject[]> {
  const subjects: Subject[] = [];
  for (let i = 0; i < count; i += 10) {
    const batch = Array.from({ length: Math.min(10, count - i) }, (_, j) => oursSubject(servers[(i + j) % servers.length]!));
    subjects.push(...(await Promise.all(batch)));
  }
  return subjects;
}

type CpuReading = Record<"servers" | "redis" | "viewers" | "writer" | "machine", number>;

/**
 * One topology's fan-out: its sessions and viewers stay open for the whole run, and it is written
 * to in windows that alternate with the other topology's, so load from outside this run (the
 * machine is shared) falls on both alike rather than on whichever ran second.
 */
class Fanout {
  private readonly sent: { session: number; update: number; sentAt: number }[] = [];
  private readonly failures: string[] = [];
  /** The next update number of each session; warm-up updates take numbers too. */
  private readonly next: number[];
  private answered = 0;
  private readonly cpu: CpuReading = { servers: 0, redis: 0, viewers: 0, writer: 0, machine: 0 };
  private measuredS = 0;
  private answeringS = 0;
  private readonly prefix: (session: number) => string;

  private constructor(
    readonly topology: Topology,
    readonly servers: Server[],
    private readonly subjects: Subject[],
    private readonly viewers: Viewers,
  ) {
    const run = `${topology.name}${Date.now().toString(36)}`;
    this.prefix = (session) => `ux${run}s${session}n`;
    this.next = subjects.map(() => 0);
  }

  static async open(topology: Topology, servers: Server[]): Promise<Fanout> {
    const subjects = await createSessions(servers, PLAN.sessions);
    const viewers = await Viewers.start();
    const fanout = new Fanout(topology, servers, subjects, viewers);
    // Viewer j of session i watches through process (i + j) mod P: every session on every process.
    const targets = subjects.flatMap((subject, session) =>
      Array.from({ length: PLAN.viewersPerSession }, (_, j) => {
        const server = servers[(session + j) % servers.length]!;
        const stream = new URL(subject.streamUrl);
        return { url: `${server.url}${stream.pathname}${stream.search}`, session, prefix: fanout.prefix(session), first: subject.firstMarker };
      }),
    );
    log(`${topology.name}: opening ${targets.length} viewers on ${servers.length} processes`);
    await viewers.ask({ op: "open", targets, concurrency: 100, timeoutMs: 60_000 }, 120_000);
    return fanout;
  }

  private cpuNow(): CpuReading {
    return {
      servers: cpuSeconds(this.servers.flatMap((s) => processTree(s.pid))),
      redis: cpuSeconds(this.topology.nodes.map((n) => n.pid)),
      viewers: cpuSeconds([this.viewers.pid]),
      writer: ((usage) => (usage.user + usage.system) / 1e6)(process.cpuUsage()),
      machine: machineBusySeconds(),
    };
  }

  /** `warmupS` unmeasured then `windowS` measured at PLAN.rate, then waits for every frame (5 s at most). */
  async window(warmupS: number, windowS: number): Promise<void> {
    const { sessions, rate, viewersPerSession } = PLAN;
    const warmup = Math.round(rate * warmupS);
    const total = warmup + Math.round(rate * windowS);
    const pending: Promise<void>[] = [];
    let before = this.cpuNow();
    let measuredFrom = 0;
    let lastAnswer = 0;
    const start = performance.now();
    for (let g = 0; g < total; g++) {
      const due = start + (g * 1000) / rate - performance.now();
      if (due > 0) await sleep(due);
      if (g === warmup) {
        before = this.cpuNow();
        measuredFrom = hrMs();
      }
      const session = g % sessions;
      const update = this.next[session]!++;
      const measured = g >= warmup;
      pending.push(
        this.subjects[session]!.update(`${this.prefix(session)}${update}x`).then(
          ({ sentAt }) => {
            this.answered++;
            if (!measured) return;
            lastAnswer = hrMs();
            this.sent.push({ session, update, sentAt });
          },
          (error: Error) => {
            this.failures.push(error.message);
          },
        ),
      );
    }
    const measuredTo = hrMs();
    const after = this.cpuNow();
    for (const key of Object.keys(after) as (keyof CpuReading)[]) this.cpu[key] += after[key] - before[key];
    this.measuredS += (measuredTo - measuredFrom) / 1000;
    await Promise.all(pending);
    this.answeringS += (lastAnswer - measuredFrom) / 1000;
    // Every frame of every answered update, or 5 s for the stragglers, before the next window.
    const expected = this.answered * viewersPerSession;
    for (const deadline = Date.now() + 5_000; Date.now() < deadline; await sleep(100)) {
      if ((await this.viewers.ask<"count">({ op: "count" }, 10_000)).arrivals >= expected) break;
    }
  }

  /** The figures of every window together, and the connections held now (every session subscribed). */
  async close(): Promise<FanoutRow> {
    try {
      const connections = await connectionsByProcess(
        this.topology,
        this.servers.map((s) => s.pid),
      );
      const { arrivals, failed } = await this.viewers.ask<"arrivals">({ op: "collect" }, 60_000);
      if (failed > 0) throw new Error(`${failed} viewers on ${this.topology.name} failed during the updates`);
      const latencies: number[] = [];
      for (const { session, update, sentAt } of this.sent) for (const at of arrivals[`${session}:${update}`] ?? []) latencies.push(at - sentAt);
      const cores = (key: keyof CpuReading) => this.cpu[key] / this.measuredS;
      return {
        toViewerMs: { ...summarize(latencies), max: latencies.reduce((m, v) => Math.max(m, v), Number.NEGATIVE_INFINITY) },
        updatesPerSecond: this.sent.length / this.answeringS,
        failedUpdates: this.failures.length,
        delivered: latencies.length,
        expected: this.sent.length * PLAN.viewersPerSession,
        serverCpuPerFrameS: this.cpu.servers / latencies.length,
        cores: {
          servers: cores("servers"),
          redis: cores("redis"),
          viewers: cores("viewers"),
          writer: cores("writer"),
          rest: cores("machine") - cores("servers") - cores("redis") - cores("viewers") - cores("writer"),
        },
        connections: this.servers.map((s) => connections.byPid.get(s.pid)!),
        unattributed: connections.unattributed,
        firstFailure: this.failures[0] ?? null,
      };
    } finally {
      await this.viewers.stop();
      for (const subject of this.subjects) subject.close();
    }
  }
}

interface WriteRow {
  p50: number;
  p99: number;
  perSecond: number;
  failed: number;
  codes: string[];
}

/** PATCH round trips, `concurrency` writers one write after another each, each on its own session. */
async function writeLatency(servers: Server[]): Promise<WriteRow> {
  const subjects = await createSessions(servers, PLAN.waitConcurrency);
  try {
    const latencies: number[] = [];
    const codes = new Set<string>();
    let failed = 0;
    const loop = async (subject: Subject, seconds: number, record: boolean) => {
      const end = performance.now() + seconds * 1000;
      for (let n = 0; performance.now() < end; n++) {
        try {
          const { sentAt } = await subject.update(`w${n}`);
          if (record) latencies.push(hrMs() - sentAt);
        } catch (error) {
          failed += record ? 1 : 0;
          codes.add((error as Error).message.slice(0, 120));
        }
      }
    };
    await Promise.all(subjects.map((s) => loop(s, PLAN.waitWarmupS, false)));
    const started = performance.now();
    await Promise.all(subjects.map((s) => loop(s, PLAN.waitWindowS, true)));
    const { p50, p99 } = summarize(latencies);
    return { p50, p99, perSecond: latencies.length / ((performance.now() - started) / 1000), failed, codes: [...codes] };
  } finally {
    for (const subject of subjects) subject.close();
  }
}

// ---------------------------------------------------------------------------------------------
// The table.

const ms = (value: number) => `${value.toFixed(2)} ms`;
const ratio = (a: number, b: number) => (b === 0 || !Number.isFinite(a / b) ? "n/a" : `${(a / b).toFixed(2)}×`);
const perProcess = (values: number[]) => (values.every((v) => v === values[0]) ? String(values[0]) : values.join(", "));
const verdict = (ok: boolean) => (ok ? "as expected" : "NOT as expected");
const mean = (values: number[]) => values.reduce((sum, v) => sum + v, 0) / values.length;

function table(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]?.length ?? 0)));
  return rows.map((r) => r.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join("  ").trimEnd());
}

function report(fan: Record<TopologyName, FanoutRow>, shards: Record<TopologyName, number>, nodes: Record<TopologyName, number>, wait: { off: WriteRow; on: WriteRow } | null): void {
  const { cluster: c, single: s } = fan;
  const { sessions, viewersPerSession, rate, rounds, warmupS, rewarmS, windowS } = PLAN;
  const frames = (r: FanoutRow) => `${r.delivered}/${r.expected}`;
  const conns = (r: FanoutRow, pick: (x: Connections) => number) => r.connections.map(pick);
  const kinds: [string, (x: Connections) => number][] = [
    ["command connections", (x) => x.command],
    ["  of them ioredis' idle cluster subscriber", (x) => x.idleClusterSubscriber],
    ["subscriber connections (sub/psub/ssub > 0)", (x) => x.subscriber],
    ["all connections", (x) => x.command + x.subscriber],
    ["redis-servers connected to", (x) => x.nodes],
  ];
  const lines = [
    "",
    `redis-ha: ${PROCESSES} server processes, ${sessions} sessions × ${viewersPerSession} viewers = ${(sessions * viewersPerSession).toLocaleString("en-US")} viewers,`,
    `${rate} updates/s (each session ${(rate / sessions).toFixed(2)}/s) in ${rounds} windows of ${windowS} s per topology, the topologies taking turns`,
    `(warm-up ${warmupS} s before each topology's first window, ${rewarmS} s before the others); cluster: ${shards.cluster} primaries + ${nodes.cluster - shards.cluster} replicas`,
    `machine: ${os.availableParallelism()} cores (${os.cpus()[0]?.model ?? "unknown"}), node ${process.version}`,
    `command: npx tsx bench/redis-ha.ts ${argv.join(" ")}`.trimEnd(),
    "",
    ...table([
      ["fan-out: update sent → each viewer has the frame", "cluster", "single", "cluster/single"],
      ["  p50", ms(c.toViewerMs.p50), ms(s.toViewerMs.p50), ratio(c.toViewerMs.p50, s.toViewerMs.p50)],
      ["  p99", ms(c.toViewerMs.p99), ms(s.toViewerMs.p99), ratio(c.toViewerMs.p99, s.toViewerMs.p99)],
      ["  max", ms(c.toViewerMs.max), ms(s.toViewerMs.max), ratio(c.toViewerMs.max, s.toViewerMs.max)],
      ["updates/s answered (target " + rate + ")", c.updatesPerSecond.toFixed(1), s.updatesPerSecond.toFixed(1), ratio(c.updatesPerSecond, s.updatesPerSecond)],
      ["updates failed", String(c.failedUpdates), String(s.failedUpdates), ""],
      ["frames delivered / expected", frames(c), frames(s), ""],
      ["servers' CPU per delivered frame", `${(c.serverCpuPerFrameS * 1e6).toFixed(1)} µs`, `${(s.serverCpuPerFrameS * 1e6).toFixed(1)} µs`, ratio(c.serverCpuPerFrameS, s.serverCpuPerFrameS)],
      ["cores used in the windows: servers (all)", c.cores.servers.toFixed(2), s.cores.servers.toFixed(2), ratio(c.cores.servers, s.cores.servers)],
      ["  redis-servers (all)", c.cores.redis.toFixed(2), s.cores.redis.toFixed(2), ratio(c.cores.redis, s.cores.redis)],
      ["  viewer process", c.cores.viewers.toFixed(2), s.cores.viewers.toFixed(2), ratio(c.cores.viewers, s.cores.viewers)],
      ["  this process (writer)", c.cores.writer.toFixed(2), s.cores.writer.toFixed(2), ratio(c.cores.writer, s.cores.writer)],
      ["  rest of the machine (not this run)", c.cores.rest.toFixed(2), s.cores.rest.toFixed(2), ""],
      ["", "", "", ""],
      ["Redis connections per server process", "cluster", "single", "cluster/single (mean)"],
      ...kinds.map(([label, pick]) => [label, perProcess(conns(c, pick)), perProcess(conns(s, pick)), ratio(mean(conns(c, pick)), mean(conns(s, pick)))]),
    ]),
    `expected: single 1 command + 1 subscriber: ${verdict(s.connections.every((x) => x.command === 1 && x.subscriber === 1))}; ` +
      `cluster subscriber ≤ ${shards.cluster} shards (+1 ioredis cluster subscriber), command ≤ ${nodes.cluster} nodes: ` +
      verdict(c.connections.every((x) => x.subscriber + x.idleClusterSubscriber <= shards.cluster + 1 && x.subscriber <= shards.cluster && x.command <= nodes.cluster)),
    `CLIENT LIST entries of no server process: ${(["cluster", "single"] as const)
      .map((name) => `${name} ${fan[name].unattributed.replication} replication links, ${fan[name].unattributed.probe} of this count's redis-cli, ${fan[name].unattributed.other} other`)
      .join("; ")}`,
  ];
  for (const name of ["cluster", "single"] as const) if (fan[name].firstFailure) lines.push(`note: ${name}: an update failed: ${fan[name].firstFailure}`);
  if (wait) {
    lines.push(
      "",
      ...table([
        [`cluster PATCH round trip, ${PLAN.waitConcurrency} writers, no viewers`, "WAIT_REPLICAS=1", "WAIT_REPLICAS=0", "ratio"],
        ["  p50", ms(wait.on.p50), ms(wait.off.p50), ratio(wait.on.p50, wait.off.p50)],
        ["  p99", ms(wait.on.p99), ms(wait.off.p99), ratio(wait.on.p99, wait.off.p99)],
        ["  writes/s", wait.on.perSecond.toFixed(0), wait.off.perSecond.toFixed(0), ratio(wait.on.perSecond, wait.off.perSecond)],
        ["  failed", String(wait.on.failed), String(wait.off.failed), ""],
      ]),
    );
    for (const code of [...wait.on.codes, ...wait.off.codes]) lines.push(`note: a write failed: ${code}`);
  }
  console.log([...lines, ""].join("\n"));
}

async function main(): Promise<void> {
  if (!Number.isInteger(PROCESSES) || PROCESSES < 1) throw new Error(`--processes takes a whole number ≥ 1, not ${processesFlag}`);
  const names = ["single", "cluster"] as const;
  const topologies = {} as Record<TopologyName, Topology>;
  const runs = {} as Record<TopologyName, Fanout>;
  for (const name of names) {
    log(`${name}: starting Redis and ${PROCESSES} server processes`);
    topologies[name] = await startTopology(name);
    runs[name] = await Fanout.open(topologies[name], await spawnServers(topologies[name], PROCESSES));
  }
  await sleep(1_000);
  for (let round = 0; round < PLAN.rounds; round++) {
    for (const name of round % 2 === 0 ? names : [...names].reverse()) {
      const warmupS = round === 0 ? PLAN.warmupS : PLAN.rewarmS;
      log(`${name}: window ${round + 1} of ${PLAN.rounds}, ${PLAN.rate} updates/s, ${warmupS} s warm-up then ${PLAN.windowS} s measured`);
      await runs[name].window(warmupS, PLAN.windowS);
    }
  }
  const fan = { single: await runs.single.close(), cluster: await runs.cluster.close() };
  for (const name of names) await Promise.all(runs[name].servers.map((s) => s.stop()));
  await topologies.single.stop();

  // Fresh processes for both, so neither side has the other's JIT warmth.
  const writes = async (waitReplicas: "0" | "1") => {
    log(`cluster: PATCH round trips with REDIS_WAIT_REPLICAS=${waitReplicas}, fresh processes`);
    const fresh = await spawnServers(topologies.cluster, PROCESSES, { REDIS_WAIT_REPLICAS: waitReplicas });
    try {
      return await writeLatency(fresh);
    } finally {
      await Promise.all(fresh.map((s) => s.stop()));
    }
  };
  const wait = { off: await writes("0"), on: await writes("1") };
  await topologies.cluster.stop();
  const count = (pick: (t: Topology) => number) => ({ single: pick(topologies.single), cluster: pick(topologies.cluster) });
  report(fan, count((t) => t.shards), count((t) => t.nodes.length), wait);
}

if (argv.includes("--viewers")) runViewers();
else runBenchmark(main, DEADLINE_MS, log);
