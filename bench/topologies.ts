/**
 * The two Redis topologies bench/redis-ha.ts compares, each under the same real server processes:
 * one redis-server (REDIS_URL), and a Cluster of three primaries with a replica each
 * (REDIS_CLUSTER_NODES, test/support/redis-topologies.ts). Every start registers its stop with
 * bench/processes.ts, so `cleanup` ends it on every exit path.
 *
 * Also what a run reads off the processes: CPU time from /proc, and which TCP connections to
 * Redis belong to which server process. Redis' CLIENT LIST names each client by its address; the
 * kernel's socket table (/proc/net/tcp) names each connection's socket inode; a process's
 * /proc/PID/fd links name the inodes it holds. Joined on (client port, Redis port), every
 * connection is attributed to exactly one process, whatever else runs on the machine.
 */
import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import { processTree } from "./cpu.js";
import { register, spawnBenchServer, terminate, type Server } from "./processes.js";
import { redisCli, startCluster } from "../test/support/redis-topologies.js";
import { startRedisServer } from "../test/support/redis.js";

export type TopologyName = "single" | "cluster";

export interface Topology {
  name: TopologyName;
  /** The settings that point a server at it. */
  env: Record<string, string>;
  /** Every redis-server of it: its port and pid. */
  nodes: { port: number; pid: number }[];
  /** Primaries (shards): 1 for the single Redis. */
  shards: number;
  stop(): Promise<void>;
}

const pidOf = async (port: number): Promise<number> => {
  const pid = /process_id:(\d+)/.exec(await redisCli(port, "INFO", "server"))?.[1];
  if (!pid) throw new Error(`redis-server on port ${port} named no process_id`);
  return Number(pid);
};

export async function startTopology(name: TopologyName): Promise<Topology> {
  if (name === "single") {
    const redis = await startRedisServer();
    const stop = register(() => redis.stop());
    return { name, env: { REDIS_URL: redis.url }, nodes: [{ port: redis.port, pid: await pidOf(redis.port) }], shards: 1, stop };
  }
  const cluster = await startCluster();
  const stop = register(() => cluster.stop());
  const nodes = await Promise.all(cluster.nodes.map(async (n) => ({ port: n.port, pid: await pidOf(n.port) })));
  const seeds = cluster.seeds.map((s) => `${s.host}:${s.port}`).join(",");
  return { name, env: { REDIS_CLUSTER_NODES: seeds }, nodes, shards: 3, stop };
}

/** This process's children running the server, by pid from /proc (one still starting has no handle yet). */
function serverChildren(): number[] {
  const pids: number[] = [];
  for (const task of readdirSync("/proc/self/task")) {
    const list = readFileSync(`/proc/self/task/${task}/children`, "utf8").trim();
    for (const pid of list ? list.split(" ").map(Number) : []) {
      try {
        if (/runtime\/node\/main\.(ts|js)/.test(readFileSync(`/proc/${pid}/cmdline`, "utf8"))) pids.push(pid);
      } catch {
        // exited meanwhile
      }
    }
  }
  return pids;
}

// The server children are not in processes.ts's exit hook, and one interrupted while starting
// was never registered: every server child still running is killed on the way out.
process.once("exit", () => {
  for (const pid of serverChildren()) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // exited meanwhile
    }
  }
});

/** `count` real server processes (the compiled runtime/node/main.ts) on the topology, started together. */
export function spawnServers(topology: Topology, count: number, env: Record<string, string> = {}): Promise<Server[]> {
  return Promise.all(
    Array.from({ length: count }, async () => {
      // As bench/processes.ts spawnOurs runs it, but on any topology's settings.
      const spawned = await spawnBenchServer({ ...topology.env, SHUTDOWN_GRACE_MS: "2000", ...env });
      const stop = register(() => terminate(spawned.process));
      return { kind: "ours" as const, url: spawned.url, pid: spawned.process.pid!, profile: null, stop };
    }),
  );
}

export interface Connections {
  /** Connections with no subscription. */
  command: number;
  /** Connections subscribed to at least one channel (sub, psub or ssub > 0). */
  subscriber: number;
  /** Of `command`: ioredis' own cluster subscriber connection, named so by ioredis, subscribed to nothing. */
  idleClusterSubscriber: number;
  /** Distinct redis-servers it is connected to. */
  nodes: number;
}

/** Socket inodes each process holds (its whole tree), by inode. */
function socketOwners(pids: readonly number[]): Map<string, number> {
  const owners = new Map<string, number>();
  for (const pid of pids) {
    for (const member of processTree(pid)) {
      for (const fd of readdirSync(`/proc/${member}/fd`)) {
        const target = (() => {
          try {
            return readlinkSync(`/proc/${member}/fd/${fd}`);
          } catch {
            return ""; // closed meanwhile
          }
        })();
        const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
        if (inode) owners.set(inode, pid);
      }
    }
  }
  return owners;
}

/** Established IPv4 connections: "localPort>remotePort" → socket inode. */
function tcpTable(): Map<string, string> {
  const table = new Map<string, string>();
  for (const line of readFileSync("/proc/net/tcp", "utf8").trim().split("\n").slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f[3] !== "01") continue; // TCP_ESTABLISHED
    const port = (address: string | undefined) => parseInt(address?.split(":")[1] ?? "", 16);
    table.set(`${port(f[1])}>${port(f[2])}`, f[9]!);
  }
  return table;
}

/** CLIENT LIST of every node, each client attributed to the server process holding its socket. */
export interface Unattributed {
  /** A replica's link to its primary, seen on both ends (flags S and M). */
  replication: number;
  /** The redis-cli reading CLIENT LIST. */
  probe: number;
  /** Anything else: a connection of some other program, or one the attribution missed. */
  other: number;
}

export async function connectionsByProcess(topology: Topology, pids: readonly number[]): Promise<{ byPid: Map<number, Connections>; unattributed: Unattributed }> {
  const lists = await Promise.all(topology.nodes.map(async (n) => ({ port: n.port, text: await redisCli(n.port, "CLIENT", "LIST") })));
  const owners = socketOwners(pids);
  const sockets = tcpTable();
  const byPid = new Map(pids.map((pid) => [pid, { command: 0, subscriber: 0, idleClusterSubscriber: 0, nodes: 0 }]));
  const nodesOf = new Map(pids.map((pid) => [pid, new Set<number>()]));
  const unattributed: Unattributed = { replication: 0, probe: 0, other: 0 };
  for (const { port, text } of lists) {
    for (const line of text.trim().split("\n").filter(Boolean)) {
      const field = (name: string) => new RegExp(`(?:^| )${name}=(\\S*)`).exec(line)?.[1] ?? "";
      const clientPort = Number(field("addr").split(":").at(-1));
      const inode = sockets.get(`${clientPort}>${port}`);
      const pid = inode === undefined ? undefined : owners.get(inode);
      const counts = pid === undefined ? undefined : byPid.get(pid);
      if (pid === undefined || !counts) {
        if (/[SM]/.test(field("flags"))) unattributed.replication++;
        else if (field("cmd") === "client|list") unattributed.probe++;
        else unattributed.other++;
        continue;
      }
      nodesOf.get(pid)!.add(port);
      if (["sub", "psub", "ssub"].some((kind) => Number(field(kind) || 0) > 0)) counts.subscriber++;
      else {
        counts.command++;
        if (field("name").startsWith("ioredis-cluster(subscriber)")) counts.idleClusterSubscriber++;
      }
    }
  }
  for (const [pid, nodes] of nodesOf) byPid.get(pid)!.nodes = nodes.size;
  return { byPid, unattributed };
}
