/**
 * Highly available Redis under real server processes: a 3-primary Cluster (one replica each) and
 * a Sentinel set (primary, replica, three sentinels), started from redis-server here.
 *
 * Cluster: sharded pub/sub carries 1,000 viewers over 100 sessions on 3 shards through 2 server
 * processes, each holding at most shards + 1 subscriber connections; a slot moved to another
 * primary under open streams keeps them receiving. On both: a primary killed under open streams
 * and a steady write load with REDIS_WAIT_REPLICAS=1 — writes answer 503 only until the shard has
 * a primary with a replica again, then 200; every open stream gets the first frame written after
 * the failover; the stored record is the last write answered 200.
 */
import { Cluster } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { keySlot } from "../runtime/stores/keys.js";
import { migrateSlot, serverSubscribers } from "./support/cluster-ops.js";
import { expectConsistent, steadyWriter } from "./support/failover-load.js";
import { readMultipart, type StreamReader } from "./support/multipart.js";
import { redisCli, startCluster, startSentinelSet, type ClusterTopology, type RedisNode, type SentinelTopology } from "./support/redis-topologies.js";
import { startRedisServer, type RedisProcess } from "./support/redis.js";
import { logLines, spawnServer, type ServerProcess } from "./support/server.js";

const json = { "Content-Type": "application/json" };
const ENV = { RENDER_WORKERS: "1", KEEP_ALIVE_MS: "60000" };

async function create(server: ServerProcess, id: string, n = 0): Promise<string> {
  const response = await fetch(`${server.url}/api/session`, {
    method: "POST",
    headers: json,
    body: JSON.stringify({ session_id: id, template: "<svg>{{ n }}</svg>", args: { n } }),
  });
  expect(response.status, await response.clone().text()).toBe(201);
  return ((await response.json()) as { write_token: string }).write_token;
}

async function patch(server: ServerProcess, id: string, token: string, n: number): Promise<Response> {
  return fetch(`${server.url}/api/session/${id}`, {
    method: "PATCH",
    headers: { ...json, Authorization: `Bearer ${token}` },
    body: JSON.stringify({ args: { n } }),
  });
}

const open = async (server: ServerProcess, id: string) => readMultipart(await fetch(`${server.url}/stream/${id}`));

/** Opens `count` streams of `id`, 50 at a time. */
async function openMany(server: ServerProcess, id: string, count: number): Promise<StreamReader[]> {
  const streams: StreamReader[] = [];
  for (let i = 0; i < count; i += 50) {
    streams.push(...(await Promise.all(Array.from({ length: Math.min(50, count - i) }, () => open(server, id)))));
  }
  return streams;
}

/** A new session (args n = 0) with `perServer` open streams on each server, each showing its first frame. */
async function watched(servers: ServerProcess[], id: string, perServer: number): Promise<{ token: string; viewers: StreamReader[] }> {
  const token = await create(servers[0]!, id);
  const viewers: StreamReader[] = [];
  for (const server of servers) viewers.push(...(await openMany(server, id, perServer)));
  for (const viewer of viewers) expect(await viewer.next(10_000)).toBe("<svg>0</svg>");
  return { token, viewers };
}

/** Resolves once the stream shows `frame`; frames before it are skipped. */
async function shows(stream: StreamReader, frame: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if ((await stream.next(Math.max(deadline - Date.now(), 1))) === frame) return;
  }
}

async function stored(server: ServerProcess, id: string): Promise<{ args: { n?: number }; version: number }> {
  const response = await fetch(`${server.url}/api/session/${id}`);
  expect(response.status).toBe(200);
  return (await response.json()) as { args: { n?: number }; version: number };
}

/** Polls until the node reports a live link to its primary: it has rejoined as a replica. */
async function replicaLinked(node: RedisNode, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const info = await redisCli(node.port, "INFO", "replication").catch(() => "");
    if (info.includes("role:slave") && info.includes("master_link_status:up")) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`port ${node.port} did not rejoin as a replica within ${timeoutMs} ms`);
}

interface FailoverRun {
  servers: ServerProcess[];
  id: string;
  token: string;
  streams: StreamReader[];
  /** Kills the primary (calling `killing` with the time, just before), waits for the promotion,
   *  restarts the killed node as a supervisor would and waits until it replicates again; returns
   *  when each step was seen. */
  fail(killing: (at: number) => void): Promise<{ killedAt: number; promotedAt: number; healthyAt: number }>;
  label: string;
  /** What the data nodes say of their replication, for a failure's message. */
  replication?: () => Promise<string>;
}

/** The three facts the issue asks of a failover, for either topology. */
async function failoverUnderLoad(run: FailoverRun): Promise<void> {
  const writer = steadyWriter(run.servers, run.id, run.token);
  try {
    await writer.firstOkAfter(Date.now(), 5_000);
    await new Promise((resolve) => setTimeout(resolve, 300));
    // The first write answered 200 after the kill is held as the newest for 5 s, so every
    // stream can be seen to get exactly this frame (a later one would replace it).
    const { killedAt, promotedAt, healthyAt } = await run.fail((at) => writer.holdAfterFirstOk(at, 5_000));
    const first = await writer.firstOkAfter(killedAt, 30_000);
    const frame = `<svg>${first.n}</svg>`;
    const seen = await Promise.allSettled(run.streams.map((stream) => shows(stream, frame, 4_500)));
    const missed = run.streams.filter((_, i) => seen[i]!.status === "rejected");
    if (missed.length > 0) {
      for (const [i, server] of run.servers.entries()) {
        console.log(`server ${i} warnings:`, logLines(server).filter((l) => Number(l["level"]) >= 40).map((l) => JSON.stringify(l)).join("\n"));
      }
    }
    expect(missed.map((stream) => stream.frames.at(-1)), `streams without ${frame}`).toEqual([]);
    const shownAt = Date.now();
    // Writes go on after the hold; the store settles on the last one answered 200.
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, first.answeredAt + 5_000 - Date.now()) + 1_500));
    await writer.firstOkAfter(Date.now(), 5_000).catch(async (error: unknown) => {
      throw new Error(`${(error as Error).message}\n${(await run.replication?.().catch(String)) ?? ""}`, { cause: error });
    });
    await writer.stop();
    const answers = writer.answers;
    const refused = answers.filter((a) => a.status !== 200);
    const lastRefused = refused.at(-1);
    const codes = [...new Set(refused.map((a) => a.code))].join(", ");
    console.log(
      `${run.label}: killed → promoted ${promotedAt - killedAt} ms, → replica back ${healthyAt - killedAt} ms; ` +
        `${refused.length} of ${answers.length} writes answered 503 (${codes || "none"}), the last one started ${lastRefused ? lastRefused.startedAt - killedAt : "-"} ms after the kill; ` +
        `first 200 after the kill started at +${first.startedAt - killedAt} ms; ${run.streams.length} streams showed it ${shownAt - first.answeredAt} ms after its answer`,
    );
    expect(refused.length, "writes refused during the failover").toBeGreaterThan(0);
    // 503 only while the shard had no primary with a replica: none answered before the kill (one
    // in flight when it came may fail), none started once a replica was back.
    // The server's client may find the new primary up to one reconnect interval (at most 2 s,
    // runtime/stores/ioredis-connection.ts backoff) after the topology is whole.
    const settled = healthyAt + 2_000 + 500;
    for (const a of refused) {
      expect(a.answeredAt).toBeGreaterThanOrEqual(killedAt);
      expect(a.startedAt).toBeLessThanOrEqual(settled);
    }
    expect(answers.filter((a) => a.status === 200 && a.startedAt > settled).length).toBeGreaterThan(3);
    expect(answers.at(-1)!.status).toBe(200);
    expectConsistent(answers, await stored(run.servers[0]!, run.id));
  } finally {
    await writer.stop();
  }
}

describe("on a Redis Cluster (3 primaries, one replica each)", () => {
  let cluster: ClusterTopology;
  let admin: Cluster;
  let servers: ServerProcess[] = [];
  const streams: StreamReader[] = [];

  beforeAll(async () => {
    cluster = await startCluster();
    admin = new Cluster(cluster.seeds, { clusterRetryStrategy: () => 200, redisOptions: { connectionName: "test-admin" } });
    admin.on("error", () => {});
    const env = { ...ENV, REDIS_CLUSTER_NODES: cluster.seeds.map((s) => `${s.host}:${s.port}`).join(","), REDIS_WAIT_REPLICAS: "1" };
    servers = await Promise.all([spawnServer(env), spawnServer(env)]);
  }, 90_000);

  afterAll(async () => {
    for (const stream of streams) stream.close();
    await Promise.all(servers.map((s) => s.stop()));
    admin?.disconnect();
    await cluster?.stop();
  });

  const ports = () => cluster.nodes.map((n) => n.port);

  it("1,000 viewers over 100 sessions on 3 shards, 2 server processes: every viewer gets every update; subscriber connections per process ≤ shards + 1", async () => {
    const ids = Array.from({ length: 100 }, (_, i) => `fan-${String(i).padStart(3, "0")}`);
    const tokens = await Promise.all(ids.map((id, i) => create(servers[i % 2]!, id)));
    await admin.cluster("SLOTS");
    const owners = new Set(ids.map((id) => admin.slots[keySlot(`rsvg:{${id}}:session`)]?.[0]));
    expect(owners.size).toBe(3);

    const before = await serverSubscribers(ports());
    const perSession = new Map<string, StreamReader[]>();
    const subscribersAfter: { sharded: number; idle: number }[] = [];
    // Five viewers of each session on each process: 500 per process, 1,000 in all.
    for (const server of servers) {
      for (let i = 0; i < ids.length; i += 10) {
        await Promise.all(
          ids.slice(i, i + 10).map(async (id) => {
            const opened = await Promise.all(Array.from({ length: 5 }, () => open(server, id)));
            perSession.set(id, [...(perSession.get(id) ?? []), ...opened]);
            streams.push(...opened);
          }),
        );
      }
      subscribersAfter.push(await serverSubscribers(ports()));
    }
    expect(streams.length).toBe(1_000);
    for (const stream of streams) expect(await stream.next(10_000)).toBe("<svg>0</svg>");

    // Three rounds of one update to every session, written through either process; each round
    // must reach every viewer before the next is written.
    const started = Date.now();
    for (let round = 1; round <= 3; round++) {
      const answers = await Promise.all(ids.map((id, i) => patch(servers[(i + round) % 2]!, id, tokens[i]!, round)));
      for (const answer of answers) expect(answer.status).toBe(200);
      await Promise.all(streams.map((stream) => shows(stream, `<svg>${round}</svg>`, 10_000)));
    }
    const elapsed = Date.now() - started;

    const first = subscribersAfter[0]!.sharded - before.sharded;
    const second = subscribersAfter[1]!.sharded - subscribersAfter[0]!.sharded;
    const idlePerProcess = before.idle / servers.length;
    console.log(
      `cluster fan-out: 1,000 viewers × 3 rounds over 100 sessions on ${owners.size} shards in ${elapsed} ms; ` +
        `subscriber connections: process A ${first} sharded + ${idlePerProcess} idle (ioredis' cluster subscriber), process B ${second} + ${idlePerProcess}`,
    );
    expect(before.sharded).toBe(0);
    expect(first).toBe(3);
    expect(second).toBe(3);
    expect(first + idlePerProcess).toBeLessThanOrEqual(3 + 1);
    expect(second + idlePerProcess).toBeLessThanOrEqual(3 + 1);
    for (const stream of streams) stream.close();
    streams.length = 0;
  }, 180_000);

  it("a slot moved to another primary under open streams: writes follow it, and the streams keep receiving", async () => {
    const id = "moving";
    const { token, viewers } = await watched(servers, id, 20);
    streams.push(...viewers);

    const slot = keySlot(`rsvg:{${id}}:session`);
    const from = await cluster.primaryFor(`rsvg:{${id}}:session`);
    const primaries = await Promise.all(["{a}", "{b}", "{c}"].map((tag) => cluster.primaryFor(tag)));
    const to = primaries.find((p) => p.port !== from.port)!;
    await migrateSlot(slot, from.port, to.port, primaries.map((p) => p.port).filter((p) => p !== from.port && p !== to.port));
    expect((await cluster.primaryFor(`rsvg:{${id}}:session`)).port).toBe(to.port);

    for (let n = 1; n <= 3; n++) {
      const answer = await patch(servers[n % 2]!, id, token, n);
      expect(answer.status).toBe(200);
      await Promise.all(viewers.map((viewer) => shows(viewer, `<svg>${n}</svg>`, 10_000)));
    }
    // The channel now lives on its new shard: its subscribers are there, none left on the old one.
    const onNew = await redisCli(to.port, "PUBSUB", "SHARDNUMSUB", `rsvg:{${id}}:channel`);
    expect(onNew.trim().split("\n")[1]).toBe("2");
    const onOld = await redisCli(from.port, "PUBSUB", "SHARDNUMSUB", `rsvg:{${id}}:channel`);
    expect(onOld.trim().split("\n")[1]).toBe("0");
  }, 60_000);

  it("a primary killed under open streams and steady writes (REDIS_WAIT_REPLICAS=1): 503 until the shard is whole again, then 200; every stream gets the first frame after; nothing lost or doubled", async () => {
    const id = "failover";
    const { token, viewers } = await watched(servers, id, 100);
    streams.push(...viewers);
    await failoverUnderLoad({
      label: "cluster failover",
      servers,
      id,
      token,
      streams: viewers,
      fail: async (killing) => {
        const victim = await cluster.primaryFor(`rsvg:{${id}}:session`);
        const killedAt = Date.now();
        killing(killedAt);
        await victim.kill();
        await cluster.waitForFailover(victim, 20_000);
        const promotedAt = Date.now();
        // Back as a supervisor would bring it: it rejoins as the new primary's replica.
        await victim.restart();
        await replicaLinked(victim);
        return { killedAt, promotedAt, healthyAt: Date.now() };
      },
    });
  }, 120_000);
});

describe("on a Sentinel set (primary, replica, three sentinels)", () => {
  let sentinel: SentinelTopology;
  let servers: ServerProcess[] = [];
  const streams: StreamReader[] = [];

  beforeAll(async () => {
    // The failover under load runs beside the rest of the suite: 1 s let a starved sentinel
    // call the newly promoted primary down as well (startSentinelSet).
    sentinel = await startSentinelSet("ha", undefined, {}, { downAfterMs: 3000 });
    const env = {
      ...ENV,
      REDIS_SENTINELS: sentinel.sentinels.map((s) => `127.0.0.1:${s.port}`).join(","),
      REDIS_SENTINEL_MASTER: "ha",
      REDIS_WAIT_REPLICAS: "1",
      // The most the setting allows: twice in clean-clone runs of the whole suite, writes well
      // after the failover (the replica back and in sync) were answered 503 write_unconfirmed
      // for 5 s at the 500 ms default; the cause was not pinned down then (the message carries
      // both nodes' INFO replication, which once showed the spurious second failover that
      // downAfterMs now guards against). 503s while there is no replica are kept either way.
      REDIS_WAIT_TIMEOUT_MS: "1500",
    };
    servers = await Promise.all([spawnServer(env), spawnServer(env)]);
  }, 90_000);

  afterAll(async () => {
    for (const stream of streams) stream.close();
    await Promise.all(servers.map((s) => s.stop()));
    await sentinel?.stop();
  });

  it("the primary killed under open streams and steady writes (REDIS_WAIT_REPLICAS=1): 503 until a replica is back, then 200; every stream gets the first frame after; nothing lost or doubled", async () => {
    const id = "sentinel-failover";
    const { token, viewers } = await watched(servers, id, 100);
    streams.push(...viewers);
    await failoverUnderLoad({
      label: "sentinel failover",
      servers,
      id,
      token,
      streams: viewers,
      replication: async () => {
        const nodes = [sentinel.primary, sentinel.replica];
        const infos = await Promise.all(nodes.map((n) => redisCli(n.port, "INFO", "replication").catch(String)));
        return nodes.map((n, i) => `port ${n.port}:\n${infos[i]}`).join("\n");
      },
      fail: async (killing) => {
        const oldPort = await sentinel.currentPrimaryPort();
        const victim = oldPort === sentinel.primary.port ? sentinel.primary : sentinel.replica;
        const killedAt = Date.now();
        killing(killedAt);
        await victim.kill();
        const newPort = await sentinel.waitForFailover(oldPort, 20_000);
        const promotedAt = Date.now();
        // Restarted as a Sentinel deployment's start script does it: as a replica of the primary
        // the sentinels name. Left to the sentinels, it took 10–11 s more after the restart in
        // most runs, and past 30–45 s in two (docs/FACTS.md).
        await victim.restart();
        await redisCli(victim.port, "REPLICAOF", "127.0.0.1", String(newPort));
        await replicaLinked(victim, 20_000);
        return { killedAt, promotedAt, healthyAt: Date.now() };
      },
    });
  }, 120_000);
});

describe("REDIS_WAIT_REPLICAS on a Redis with too few replicas", () => {
  let redis: RedisProcess;
  let server: ServerProcess;

  beforeAll(async () => {
    redis = await startRedisServer();
    server = await spawnServer({ ...ENV, REDIS_URL: redis.url, REDIS_WAIT_REPLICAS: "1", REDIS_WAIT_TIMEOUT_MS: "200" });
  }, 60_000);
  afterAll(async () => {
    await server?.stop();
    await redis?.stop();
  });

  it("answers 503 write_unconfirmed with Retry-After after REDIS_WAIT_TIMEOUT_MS; the change is on the primary all the same", async () => {
    const asked = Date.now();
    const created = await fetch(`${server.url}/api/session`, {
      method: "POST",
      headers: json,
      body: JSON.stringify({ session_id: "lonely", template: "<svg>{{ n }}</svg>", args: { n: 0 } }),
    });
    expect(created.status).toBe(503);
    // WAIT held the answer for its timeout (a lower bound: no timing race).
    expect(Date.now() - asked).toBeGreaterThanOrEqual(190);
    expect(created.headers.get("retry-after")).toBe("1");
    const body = (await created.json()) as { code: string; error: string };
    expect(body.code).toBe("write_unconfirmed");
    expect(body.error).toMatch(/0 of the 1 replicas/);
    // Stored all the same: the session exists, so a second create says so — at once, since that
    // script changed nothing and has nothing to wait for.
    const again = await fetch(`${server.url}/api/session`, {
      method: "POST",
      headers: json,
      body: JSON.stringify({ session_id: "lonely", template: "<svg>{{ n }}</svg>", args: { n: 0 } }),
    });
    expect(again.status).toBe(409);
    const stream = await open(server, "lonely");
    expect(await stream.next(5_000)).toBe("<svg>0</svg>");
    const token = "unknown";
    // Without the write token nothing is written: the refusal is the usual one, not a WAIT.
    const started = Date.now();
    const refused = await patch(server, "lonely", token, 1);
    expect(refused.status).toBe(403);
    expect(Date.now() - started).toBeLessThan(200);
    stream.close();
  });
});

describe("a Sentinel set whose sentinels and data nodes have passwords", () => {
  let sentinel: SentinelTopology;
  const started: ServerProcess[] = [];
  const sentinelList = () => sentinel.sentinels.map((s) => `127.0.0.1:${s.port}`).join(",");

  beforeAll(async () => {
    sentinel = await startSentinelSet("guarded", undefined, { data: "data-secret", sentinel: "sentinel-secret" });
  }, 60_000);
  afterAll(async () => {
    await Promise.all(started.map((s) => s.stop()));
    await sentinel?.stop();
  });

  it("serves with REDIS_SENTINEL_PASSWORD and REDIS_PASSWORD, and stays unready (alive) with a wrong sentinel password", async () => {
    const env = { ...ENV, REDIS_SENTINELS: sentinelList(), REDIS_SENTINEL_MASTER: "guarded", REDIS_PASSWORD: "data-secret" };
    const good = await spawnServer({ ...env, REDIS_SENTINEL_PASSWORD: "sentinel-secret" });
    started.push(good);
    expect((await fetch(`${good.url}/ready`)).status).toBe(200);
    const token = await create(good, "guarded");
    const stream = await open(good, "guarded");
    expect(await stream.next(5_000)).toBe("<svg>0</svg>");
    expect((await patch(good, "guarded", token, 1)).status).toBe(200);
    expect(await stream.next(5_000)).toBe("<svg>1</svg>");
    stream.close();
    // Neither password is in the log.
    expect(good.logs.join("\n")).not.toMatch(/sentinel-secret|data-secret/);

    const wrong = await spawnServer({ ...env, REDIS_SENTINEL_PASSWORD: "not-it" });
    started.push(wrong);
    await expect.poll(async () => (await fetch(`${wrong.url}/ready`)).status, { timeout: 10_000, interval: 200 }).toBe(503);
    // And stays so: the sentinels refuse it for good, it is not just still connecting.
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    expect((await fetch(`${wrong.url}/ready`)).status).toBe(503);
    expect((await fetch(`${wrong.url}/health`)).status).toBe(200);
    expect(wrong.process.exitCode).toBeNull();
    expect(wrong.logs.join("\n")).not.toMatch(/not-it/);
  }, 60_000);
});
