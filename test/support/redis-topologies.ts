/**
 * Redis topologies for tests, built from real `redis-server` processes on free loopback ports:
 * a Cluster of three primaries with one replica each, and a Sentinel set (a primary, a replica
 * and three sentinels). Debian's redis-server package has no redis-sentinel binary, so a
 * sentinel is `redis-server FILE --sentinel` (docs/FACTS.md). Every process lives in a temporary
 * directory under os.tmpdir(); stop() ends them all and removes the directory, and the exit hook
 * kills whatever a crashed test left running.
 */
import { spawn, execFile, type ChildProcess } from "node:child_process";
import { mkdtemp, mkdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { freePort } from "./redis.js";
import { redisCliTlsFlags, redisTlsFlags, type TlsFiles } from "./tls-certs.js";

const run = promisify(execFile);

export interface RedisNode {
  port: number;
  /** SIGKILL, as a crash would: no shutdown save, no goodbye to the cluster. */
  kill(): Promise<void>;
  /** Starts again on the same port and directory (a cluster node keeps its nodes.conf); the
   *  first start is also this call, since killing a node that never ran does nothing. */
  restart(): Promise<void>;
  readonly running: boolean;
}

export interface ClusterTopology {
  /** Every node, primaries first as `redis-cli --cluster create` assigned them at start. */
  nodes: RedisNode[];
  /** `host:port,…` of every node, as REDIS_CLUSTER_NODES takes it. */
  seeds: { host: string; port: number }[];
  /** The node serving `key`'s slot as primary right now. */
  primaryFor(key: string): Promise<RedisNode>;
  /** Waits until the cluster has promoted a replica for every failed primary and is ok again. */
  waitForFailover(killed: RedisNode, timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

export interface SentinelTopology {
  masterName: string;
  primary: RedisNode;
  replica: RedisNode;
  sentinels: RedisNode[];
  /** The address the sentinels name as primary now. */
  currentPrimaryPort(): Promise<number>;
  /** Waits until the sentinels name a primary other than `oldPort`. */
  waitForFailover(oldPort: number, timeoutMs?: number): Promise<number>;
  stop(): Promise<void>;
}

const HOST = "127.0.0.1";

const running = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of running) child.kill("SIGKILL");
});

/** The redis-cli flags of the ports that serve TLS only (a topology started with `tls`). */
const cliTls = new Map<number, string[]>();
/** The password of the ports that require one. */
const cliAuth = new Map<number, string>();
/** How a node listens: its plain port, or TLS only on that port (`--port 0`). */
const listenOn = (port: number, tls?: TlsFiles): string[] => {
  if (tls) cliTls.set(port, redisCliTlsFlags(tls));
  return tls ? redisTlsFlags(port, tls) : ["--port", String(port)];
};

/** One `redis-cli` command against a port; the reply as text. */
export async function redisCli(port: number, ...args: string[]): Promise<string> {
  const password = cliAuth.get(port);
  const auth = password === undefined ? [] : ["-a", password, "--no-auth-warning"];
  const { stdout } = await run("redis-cli", ["-h", HOST, "-p", String(port), ...(cliTls.get(port) ?? []), ...auth, ...args], { timeout: 5000 });
  return stdout;
}

/** Passwords of a Sentinel set: the data nodes' (requirepass, and the sentinels' auth-pass) and the sentinels' own. */
export interface SentinelPasswords {
  data?: string;
  sentinel?: string;
}

async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ""}`);
}

function node(port: number, args: string[]): RedisNode {
  let child: ChildProcess | undefined;
  let output = "";
  const start = async (): Promise<void> => {
    const spawned = spawn("redis-server", args, { stdio: ["ignore", "pipe", "pipe"] });
    child = spawned;
    running.add(spawned);
    const keep = (chunk: Buffer): void => {
      output = (output + chunk.toString()).slice(-2000);
    };
    spawned.stdout?.on("data", keep);
    spawned.stderr?.on("data", keep);
    let exited = false;
    spawned.once("exit", () => {
      exited = true;
      running.delete(spawned);
    });
    spawned.once("error", () => {
      exited = true;
    });
    await until(`redis-server on port ${port}`, 10_000, async () => {
      if (exited) throw new Error(`redis-server on port ${port} exited:\n${output}`);
      const info = await redisCli(port, "INFO", "server");
      return info.includes(`process_id:${spawned.pid}`) ? true : undefined;
    }).catch((err: unknown) => {
      spawned.kill("SIGKILL");
      throw err;
    });
  };
  const kill = async (): Promise<void> => {
    const current = child;
    if (!current || current.exitCode !== null || current.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      current.once("exit", () => resolve());
      current.kill("SIGKILL");
    });
  };
  return {
    port,
    kill,
    restart: async () => {
      await kill();
      await start();
    },
    get running() {
      return child !== undefined && child.exitCode === null && child.signalCode === null;
    },
  };
}

async function distinctPorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) ports.add(await freePort());
  return [...ports];
}

/** Starts every node in parallel; on any failure stops the ones that started and rethrows. */
async function startAll(nodes: RedisNode[], dir: string): Promise<void> {
  const results = await Promise.allSettled(nodes.map((n) => n.restart()));
  const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
  if (failed) {
    await Promise.all(nodes.map((n) => n.kill()));
    await rm(dir, { recursive: true, force: true });
    throw failed.reason;
  }
}

const BASE = ["--bind", HOST, "--save", "", "--appendonly", "no", "--repl-diskless-sync-delay", "0"];

/**
 * A port found free (freePort) can be taken before redis-server binds it — another test's
 * outgoing connection gets it as its local port — and the node then exits with "Address already
 * in use". Such a start is made again on fresh ports, at most `attempts` times in all.
 */
async function onFreshPortsIfTaken<T>(start: () => Promise<T>, attempts = 3): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await start();
    } catch (error) {
      if (attempt >= attempts || !String((error as Error).message).includes("Address already in use")) throw error;
    }
  }
}

/** With `tls`, every node serves TLS only, the cluster bus and replication included. */
export function startCluster(tls?: TlsFiles): Promise<ClusterTopology> {
  return onFreshPortsIfTaken(() => startClusterOnce(tls));
}

async function startClusterOnce(tls?: TlsFiles): Promise<ClusterTopology> {
  const dir = await mkdtemp(join(tmpdir(), "realtime-svg-cluster-"));
  const ports = await distinctPorts(6);
  const nodes: RedisNode[] = [];
  for (const port of ports) {
    const nodeDir = join(dir, String(port));
    await mkdir(nodeDir);
    nodes.push(
      node(port, [
        ...listenOn(port, tls), ...BASE, "--dir", nodeDir,
        ...(tls ? ["--tls-cluster", "yes", "--tls-replication", "yes"] : []),
        "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
        // A short node timeout keeps failover tests within seconds.
        "--cluster-node-timeout", "1500",
        // A replica whose link was down too long refuses to stand for election (validity
        // factor × node timeout); in a test, any replica may take over.
        "--cluster-replica-validity-factor", "0",
      ]),
    );
  }
  await startAll(nodes, dir);
  const stop = async (): Promise<void> => {
    await Promise.all(nodes.map((n) => n.kill()));
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await run(
      "redis-cli",
      ["--cluster", "create", ...ports.map((p) => `${HOST}:${p}`), "--cluster-replicas", "1", "--cluster-yes", ...(tls ? redisCliTlsFlags(tls) : [])],
      { timeout: 20_000 },
    );
    await until("every cluster node to report cluster_state:ok", 15_000, async () => {
      const infos = await Promise.all(ports.map((p) => redisCli(p, "CLUSTER", "INFO")));
      if (!infos.every((i) => i.includes("cluster_state:ok"))) return undefined;
      // A failover test needs every replica in sync with its primary first.
      const roles = await Promise.all(ports.map((p) => redisCli(p, "INFO", "replication")));
      const replicas = roles.filter((r) => r.includes("role:slave"));
      return replicas.length === 3 && replicas.every((r) => r.includes("master_link_status:up")) ? true : undefined;
    });
  } catch (err) {
    await stop();
    throw err;
  }

  const live = (): RedisNode => {
    const found = nodes.find((n) => n.running);
    if (!found) throw new Error("no cluster node is running");
    return found;
  };
  const byPort = (port: number): RedisNode => {
    const found = nodes.find((n) => n.port === port);
    if (!found) throw new Error(`no cluster node on port ${port}`);
    return found;
  };

  return {
    nodes,
    seeds: ports.map((port) => ({ host: HOST, port })),
    primaryFor: async (key) => {
      const slot = (await redisCli(live().port, "CLUSTER", "KEYSLOT", key)).trim();
      const lines = (await redisCli(live().port, "CLUSTER", "NODES")).trim().split("\n");
      for (const line of lines) {
        const fields = line.split(" ");
        if (!fields[2]?.includes("master") || fields[2].includes("fail")) continue;
        for (const range of fields.slice(8)) {
          const [from, to] = range.split("-").map(Number);
          const s = Number(slot);
          if (from !== undefined && s >= from && s <= (to ?? from)) {
            return byPort(Number(fields[1]?.split(":")[1]?.split("@")[0]));
          }
        }
      }
      throw new Error(`no primary serves slot ${slot}`);
    },
    waitForFailover: async (killed, timeoutMs = 15_000) => {
      await until(`a replica to take over from port ${killed.port}`, timeoutMs, async () => {
        const observer = live().port;
        const info = await redisCli(observer, "CLUSTER", "INFO");
        const lines = (await redisCli(observer, "CLUSTER", "NODES")).trim().split("\n");
        const killedLine = lines.find((l) => l.split(" ")[1]?.startsWith(`${HOST}:${killed.port}@`));
        const healthyPrimaries = lines.filter((l) => {
          const flags = l.split(" ")[2] ?? "";
          return flags.includes("master") && !flags.includes("fail") && l.split(" ").length > 8;
        });
        const failed = killedLine?.split(" ")[2]?.includes("fail") ?? false;
        return failed && healthyPrimaries.length === 3 && info.includes("cluster_state:ok") ? true : undefined;
      });
    },
    stop,
  };
}

/**
 * With `tls`, the data nodes and the sentinels serve TLS only, and talk to each other over it.
 * `downAfterMs`: how long the sentinels wait for a node's answer before they call it down (default
 * 1000). A sentinel starved of CPU past it calls a live primary down too: on a 2-CPU machine, under
 * the whole suite, a second, spurious failover left two primaries (docs/FACTS.md).
 */
export function startSentinelSet(
  masterName = "realtime-svg",
  tls?: TlsFiles,
  passwords: SentinelPasswords = {},
  { downAfterMs = 1000 }: { downAfterMs?: number } = {},
): Promise<SentinelTopology> {
  return onFreshPortsIfTaken(() => startSentinelSetOnce(masterName, tls, passwords, downAfterMs));
}

async function startSentinelSetOnce(masterName: string, tls: TlsFiles | undefined, passwords: SentinelPasswords, downAfterMs: number): Promise<SentinelTopology> {
  const dir = await mkdtemp(join(tmpdir(), "realtime-svg-sentinel-"));
  const [primaryPort, replicaPort, ...sentinelPorts] = await distinctPorts(5);
  if (primaryPort === undefined || replicaPort === undefined) throw new Error("no free ports");
  const dataDir = async (port: number): Promise<string> => {
    const d = join(dir, String(port));
    await mkdir(d);
    return d;
  };
  const replication = [
    ...(tls ? ["--tls-replication", "yes"] : []),
    ...(passwords.data === undefined ? [] : ["--requirepass", passwords.data, "--masterauth", passwords.data]),
  ];
  if (passwords.data !== undefined) for (const port of [primaryPort, replicaPort]) cliAuth.set(port, passwords.data);
  const primary = node(primaryPort, [...listenOn(primaryPort, tls), ...replication, ...BASE, "--dir", await dataDir(primaryPort)]);
  const replica = node(replicaPort, [
    ...listenOn(replicaPort, tls), ...replication, ...BASE, "--dir", await dataDir(replicaPort),
    "--replicaof", HOST, String(primaryPort),
  ]);
  const sentinels: RedisNode[] = [];
  for (const port of sentinelPorts) {
    const d = await dataDir(port);
    const file = join(d, "sentinel.conf");
    // Sentinel rewrites its file (known replicas, epochs), so each one has its own.
    await writeFile(
      file,
      [
        // The data nodes' flags as config lines; tls-replication: TLS to the data nodes and other sentinels.
        ...listenOn(port, tls).flatMap((flag, i, flags) => (i % 2 === 0 ? [`${flag.slice(2)} ${flags[i + 1]}`] : [])),
        ...(tls ? ["tls-replication yes"] : []),
        `bind ${HOST}`,
        `dir ${d}`,
        `sentinel monitor ${masterName} ${HOST} ${primaryPort} 2`,
        `sentinel down-after-milliseconds ${masterName} ${downAfterMs}`,
        `sentinel failover-timeout ${masterName} 5000`,
        `sentinel parallel-syncs ${masterName} 1`,
        ...(passwords.data === undefined ? [] : [`sentinel auth-pass ${masterName} ${passwords.data}`]),
        // A sentinel with a password of its own, and what it gives the other sentinels.
        ...(passwords.sentinel === undefined ? [] : [`requirepass ${passwords.sentinel}`, `sentinel sentinel-pass ${passwords.sentinel}`]),
        "",
      ].join("\n"),
    );
    if (passwords.sentinel !== undefined) cliAuth.set(port, passwords.sentinel);
    sentinels.push(node(port, [file, "--sentinel"]));
  }
  const all = [primary, replica, ...sentinels];
  await startAll([primary, replica], dir);
  await startAll(sentinels, dir).catch(async (err: unknown) => {
    await Promise.all(all.map((n) => n.kill()));
    throw err;
  });
  const stop = async (): Promise<void> => {
    await Promise.all(all.map((n) => n.kill()));
    await rm(dir, { recursive: true, force: true });
  };
  const ask = async (...args: string[]): Promise<string> => {
    const live = sentinels.find((s) => s.running);
    if (!live) throw new Error("no sentinel is running");
    return redisCli(live.port, ...args);
  };
  const currentPrimaryPort = async (): Promise<number> => {
    const [, port] = (await ask("SENTINEL", "get-master-addr-by-name", masterName)).trim().split("\n");
    return Number(port);
  };
  try {
    // A failover needs the replica in sync and every sentinel aware of the replica and the others.
    await until("the replica to sync and the sentinels to see it and each other", 15_000, async () => {
      const repl = await redisCli(replicaPort, "INFO", "replication");
      if (!repl.includes("master_link_status:up")) return undefined;
      for (const s of sentinels) {
        const replicas = await redisCli(s.port, "SENTINEL", "replicas", masterName);
        const peers = await redisCli(s.port, "SENTINEL", "sentinels", masterName);
        if (!replicas.includes(String(replicaPort))) return undefined;
        if (sentinelPorts.filter((p) => p !== s.port).some((p) => !peers.includes(String(p)))) return undefined;
      }
      return true;
    });
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    masterName,
    primary,
    replica,
    sentinels,
    currentPrimaryPort,
    waitForFailover: (oldPort, timeoutMs = 15_000) =>
      until(`the sentinels to promote a primary other than ${oldPort}`, timeoutMs, async () => {
        const port = await currentPrimaryPort();
        if (port === oldPort || !Number.isFinite(port)) return undefined;
        const role = await redisCli(port, "ROLE");
        return role.startsWith("master") ? port : undefined;
      }),
    stop,
  };
}
