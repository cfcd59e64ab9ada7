/**
 * The ports contract (test/support/store-contract.ts) on the high-availability topologies: a
 * Sentinel set and a 3-shard Cluster, real redis-server processes (test/support/redis-topologies.ts);
 * then two server processes configured for each topology, sharing sessions through it.
 */
import { Cluster, Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ioredisPorts, type IoredisOptions } from "../runtime/stores/ioredis.js";
import { sessionKey } from "../runtime/stores/keys.js";
import { startCluster, startSentinelSet, type ClusterTopology, type SentinelTopology } from "./support/redis-topologies.js";
import { readMultipart } from "./support/multipart.js";
import { spawnServer, type ServerProcess } from "./support/server.js";
import { describeContract, sleep, uniquePrefix, type Harness } from "./support/store-contract.js";

let sentinelSet: SentinelTopology;
let cluster: ClusterTopology;
let sentinelAdmin: Redis;
let clusterAdmin: Cluster;

beforeAll(async () => {
  // Both kept before either failure is thrown, so afterAll stops the one that did start.
  const [set, nodes] = await Promise.allSettled([startSentinelSet(), startCluster()]);
  if (set.status === "fulfilled") sentinelSet = set.value;
  if (nodes.status === "fulfilled") cluster = nodes.value;
  for (const started of [set, nodes]) if (started.status === "rejected") throw started.reason;
  sentinelAdmin = new Redis({ port: sentinelSet.primary.port, host: "127.0.0.1" });
  clusterAdmin = new Cluster(cluster.seeds);
}, 60_000);
afterAll(async () => {
  sentinelAdmin?.disconnect();
  clusterAdmin?.disconnect();
  await Promise.all([sentinelSet?.stop(), cluster?.stop()]);
});

async function harness(topology: () => IoredisOptions, pttl: (key: string) => Promise<number>): Promise<Harness> {
  const prefix = uniquePrefix();
  const open = () => ioredisPorts({ ...topology(), prefix });
  const ports = open();
  await Promise.all([ports.store.connect?.(), ports.broker.connect()]);
  const others: Array<() => Promise<unknown>> = [];
  return {
    store: ports.store,
    broker: ports.broker,
    another: async () => {
      const more = open();
      others.push(() => Promise.all([more.store.close(), more.broker.close()]));
      await more.broker.connect();
      return more.broker;
    },
    advance: (ms) => sleep(ms),
    remainingTtlMs: (id) => pttl(sessionKey(prefix, id)),
    close: async () => {
      await Promise.all([ports.store.close(), ports.broker.close()]);
      await Promise.all(others.map((close) => close()));
    },
  };
}

describeContract("redis sentinel", () =>
  harness(
    () => ({
      sentinels: sentinelSet.sentinels.map((s) => ({ host: "127.0.0.1", port: s.port })),
      sentinelName: sentinelSet.masterName,
    }),
    (key) => sentinelAdmin.pttl(key),
  ),
);

describeContract("redis cluster", () =>
  harness(() => ({ clusterNodes: cluster.seeds }), (key) => clusterAdmin.pttl(key)),
);

const addressList = (ports: number[]) => ports.map((port) => `127.0.0.1:${port}`).join(",");

describe.each([
  ["REDIS_SENTINELS", () => ({ REDIS_SENTINELS: addressList(sentinelSet.sentinels.map((s) => s.port)), REDIS_SENTINEL_MASTER: sentinelSet.masterName })],
  ["REDIS_CLUSTER_NODES", () => ({ REDIS_CLUSTER_NODES: addressList(cluster.nodes.map((n) => n.port)) })],
])("two servers configured with %s", (_name, env) => {
  let servers: ServerProcess[] = [];
  afterAll(async () => {
    await Promise.all(servers.map((server) => server.stop()));
  });

  it("are ready on the Redis store, and a write on one reaches a stream on the other", async () => {
    const prefix = uniquePrefix();
    servers = await Promise.all([spawnServer({ ...env(), KEY_PREFIX: prefix }), spawnServer({ ...env(), KEY_PREFIX: prefix })]);
    const [a, b] = servers as [ServerProcess, ServerProcess];
    for (const server of servers) {
      expect(await (await fetch(`${server.url}/ready`)).json()).toEqual({ status: "ready", store: "redis" });
    }
    const template = '<svg xmlns="http://www.w3.org/2000/svg"><text>{{ n }}</text></svg>';
    // Several ids, so that on the Cluster the sessions fall on more than one shard.
    for (const id of ["t-a", "t-b", "t-c", "t-d"]) {
      const created = await fetch(`${a.url}/api/session`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ session_id: id, template, args: { n: 0 } }),
      });
      expect(created.status).toBe(201);
      const { write_token: token } = (await created.json()) as { write_token: string };
      const stream = readMultipart(await fetch(`${b.url}/stream/${id}`));
      expect(await stream.next(2_000)).toContain("<text>0</text>");
      const update = await fetch(`${a.url}/api/session/${id}`, {
        method: "PUT",
        headers: { "Content-Type": "application/json", Authorization: `Bearer ${token}` },
        body: JSON.stringify({ args: { n: 1 } }),
      });
      expect(update.status).toBe(200);
      expect(await stream.next(2_000)).toContain("<text>1</text>");
      const deleted = await fetch(`${a.url}/api/session/${id}`, { method: "DELETE", headers: { Authorization: `Bearer ${token}` } });
      expect(deleted.status).toBe(204);
      await stream.ended(2_000);
    }
  }, 30_000);
});
