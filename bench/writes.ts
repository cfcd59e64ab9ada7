/**
 * Write throughput as users feel it: random PATCHes over many sessions at a fixed concurrency,
 * from one load generator (autocannon, in this process) for the real server and its baselines
 * alike, so every ratio compares servers, not clients.
 *
 *   - the real server on Redis vs bare-writer.ts doing one SET + PUBLISH per request
 *   - the real server on the memory store vs bare-writer.ts's bare /put
 *   - a raw ioredis SET + PUBLISH loop at the same concurrency, for reference (no HTTP at all)
 *   - one session, 10 concurrent writers vs 1 (the memory store: the write line's cost alone)
 *
 * The first two each run twice per server (WRITE_ORDER: real, bare, bare, real), as means. Each
 * figure comes with the server's CPU per write and the share of the machine's CPU other processes took.
 */
import http from "node:http";
import autocannon from "autocannon";
import { Redis } from "ioredis";
import { BADGE_TEMPLATE, badgeArgs } from "./badge.js";
import { cpuWindow } from "./cpu.js";
import { abbaOrder, firstLine, register, spawnBenchServer, spawnTsx, terminate, type ServerKind } from "./processes.js";
import { meanOfRuns } from "./stats.js";
import type { RedisProcess } from "../test/support/redis.js";

export interface WriteFigure {
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** Non-2xx, errors and timeouts: the figure means little unless 0. */
  failed: number;
  /** Server CPU per answered write, µs (null: no server, the raw loop). */
  cpuUsPerWrite: number | null;
  /** redis-server's CPU per answered write, µs (null: the memory store). Every replica's writes share its one thread. */
  redisCpuUsPerWrite: number | null;
  othersCpuShare: number;
}

export interface WritesResult {
  sessions: number;
  connections: number;
  redis: { ours: WriteFigure; bare: WriteFigure; raw: WriteFigure };
  memory: { ours: WriteFigure; bare: WriteFigure };
  oneSession: { ten: WriteFigure; one: WriteFigure };
}

interface Target {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

async function ours(env: Record<string, string>): Promise<Target> {
  const server = await spawnBenchServer({ SHUTDOWN_GRACE_MS: "1000", ...env });
  const stop = register(() => terminate(server.process, 3_000));
  return { url: server.url, pid: server.process.pid!, stop };
}

async function bare(env: Record<string, string>): Promise<Target> {
  const child = spawnTsx("bare-writer.ts", { env });
  const stop = register(() => terminate(child, 3_000));
  const url = await firstLine(child, (line) => (line.startsWith('{"msg":"listening"') ? (JSON.parse(line) as { url: string }).url : undefined), 20_000);
  return { url, pid: child.pid!, stop };
}

/** Creates `count` badge sessions, 50 at a time; their ids and tokens. */
async function createSessions(url: string, count: number, prefix: string): Promise<{ id: string; token: string }[]> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 50 });
  const create = (id: string) =>
    new Promise<{ id: string; token: string }>((resolve, reject) => {
      const req = http.request(`${url}/api/session`, { method: "POST", agent, headers: { "Content-Type": "application/json" } }, (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => (text += chunk));
        res.on("end", () => (res.statusCode === 201 ? resolve({ id, token: (JSON.parse(text) as { write_token: string }).write_token }) : reject(new Error(`create ${id}: ${res.statusCode} ${text}`))));
      });
      req.on("error", reject);
      req.end(JSON.stringify({ session_id: id, template: BADGE_TEMPLATE, args: badgeArgs("start") }));
    });
  const sessions: { id: string; token: string }[] = [];
  for (let i = 0; i < count; i += 50) {
    sessions.push(...(await Promise.all(Array.from({ length: Math.min(50, count - i) }, (_, j) => create(`${prefix}-${i + j}`)))));
  }
  agent.destroy();
  return sessions;
}

/** Random PATCHes over `sessions` on `connections` connections for `seconds`, after an unmeasured warm-up; `redisPid`: the redis-server the target writes to, if any. */
async function flood(target: Target, sessions: { id: string; token: string }[], connections: number, seconds: number, warmupSeconds: number, redisPid: number | null): Promise<WriteFigure> {
  let n = 0;
  const run = (duration: number) =>
    autocannon({
      url: target.url,
      connections,
      duration,
      timeout: 10,
      requests: [
        {
          method: "PATCH",
          setupRequest: (request) => {
            const session = sessions[Math.floor(Math.random() * sessions.length)]!;
            request.path = `/api/session/${session.id}`;
            request.headers = { "content-type": "application/json", authorization: `Bearer ${session.token}` };
            request.body = JSON.stringify({ args: { value: `w${n++}` } });
            return request;
          },
        },
      ],
    });
  if (warmupSeconds > 0) await run(warmupSeconds);
  const window = cpuWindow();
  const result = await run(seconds);
  const cpu = window.end();
  const answered = result.requests.total;
  return {
    perSecond: answered / result.duration,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    failed: result.non2xx + result.errors + result.timeouts,
    cpuUsPerWrite: answered > 0 ? (cpu.of(target.pid) / answered) * 1e6 : null,
    redisCpuUsPerWrite: redisPid !== null && answered > 0 ? (cpu.of(redisPid) / answered) * 1e6 : null,
    othersCpuShare: cpu.othersShare,
  };
}

/**
 * The write rows against bare: twice per server, ABBA. On one machine a server process's write
 * rate differed from the next one's by up to 1.5× (docs/FACTS.md).
 */
export const WRITE_ORDER = abbaOrder(2);

/** The mean of runs of one figure, their failures added up. */
function meanFigure(runs: WriteFigure[]): WriteFigure {
  return { ...meanOfRuns(runs), failed: runs.reduce((sum, run) => sum + run.failed, 0) };
}

/** `concurrency` loops of SET + PUBLISH (sent together, as bare-writer does) straight on ioredis. */
async function rawLoop(server: RedisServer, concurrency: number, seconds: number): Promise<WriteFigure> {
  const redis = new Redis(server.url);
  const body = JSON.stringify({ args: badgeArgs("raw") });
  const latencies: number[] = [];
  const window = cpuWindow();
  const until = performance.now() + seconds * 1000;
  let failed = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async (_, loop) => {
      for (let i = 0; performance.now() < until; i++) {
        const started = performance.now();
        try {
          await Promise.all([redis.set(`raw:${loop}:${i % 1000}`, body), redis.publish(`raw:channel:${loop}`, body)]);
          latencies.push(performance.now() - started);
        } catch {
          failed++;
        }
      }
    }),
  );
  const cpu = window.end();
  redis.disconnect();
  latencies.sort((a, b) => a - b);
  const at = (p: number) => latencies[Math.min(latencies.length - 1, Math.ceil((p / 100) * latencies.length) - 1)] ?? Number.NaN;
  const redisCpuUsPerWrite = latencies.length > 0 ? (cpu.of(server.pid) / latencies.length) * 1e6 : null;
  return { perSecond: latencies.length / cpu.seconds, p50Ms: at(50), p99Ms: at(99), failed, cpuUsPerWrite: null, redisCpuUsPerWrite, othersCpuShare: cpu.othersShare };
}

/** The redis-server the Redis rows write to. */
type RedisServer = Pick<RedisProcess, "url" | "pid">;

export async function measureWrites(redis: RedisServer, options: { sessions: number; connections: number; seconds: number; warmupSeconds: number }, log: (m: string) => void): Promise<WritesResult> {
  const { sessions: count, connections, seconds, warmupSeconds } = options;
  const each = async (label: string, start: () => Promise<Target>, sessionsFor: (t: Target) => Promise<{ id: string; token: string }[]>, c = connections, redisPid: number | null = null) => {
    const target = await start();
    try {
      const sessions = await sessionsFor(target);
      log(`  writes: ${label}, ${sessions.length.toLocaleString("en-US")} session(s), ${c} connections × ${seconds} s`);
      return await flood(target, sessions, c, seconds, warmupSeconds, redisPid);
    } finally {
      await target.stop();
    }
  };
  const many = (t: Target) => createSessions(t.url, count, `w${Date.now().toString(36)}`);
  const bareIds = async () => Array.from({ length: count }, (_, i) => ({ id: `bare-${i}`, token: "none" }));

  // Each against its baseline in fresh processes, in WRITE_ORDER.
  const against = async (oursLabel: string, oursEnv: Record<string, string>, bareLabel: string, bareEnv: Record<string, string>, redisPid: number | null) => {
    const runs: Record<ServerKind, WriteFigure[]> = { ours: [], bare: [] };
    for (const kind of WRITE_ORDER) {
      runs[kind].push(
        kind === "ours"
          ? await each(oursLabel, () => ours(oursEnv), many, connections, redisPid)
          : await each(bareLabel, () => bare(bareEnv), bareIds, connections, redisPid),
      );
    }
    return { ours: meanFigure(runs.ours), bare: meanFigure(runs.bare) };
  };
  const onRedis = await against("real server, Redis", { REDIS_URL: redis.url }, "bare SET + PUBLISH", { BARE_STORE: "redis", REDIS_URL: redis.url }, redis.pid);
  log(`  writes: raw ioredis loop, ${connections} at a time × ${seconds} s`);
  const raw = await rawLoop(redis, connections, seconds);
  const memory = await against("real server, memory store", {}, "bare /put", { BARE_STORE: "memory" }, null);

  // One session: the same server, 10 writers, then 1 (fresh servers, so neither inherits the other's heap).
  const one = (t: Target) => createSessions(t.url, 1, `one${Date.now().toString(36)}`);
  const ten = await each("one session, 10 writers", () => ours({}), one, 10);
  const single = await each("one session, 1 writer", () => ours({}), one, 1);
  return {
    sessions: count,
    connections,
    redis: { ...onRedis, raw },
    memory,
    oneSession: { ten, one: single },
  };
}
