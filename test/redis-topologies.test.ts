import { Cluster, Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { keySlot } from "../runtime/stores/keys.js";
import {
  redisCli,
  startCluster,
  startSentinelSet,
  type ClusterTopology,
  type SentinelTopology,
} from "./support/redis-topologies.js";

/** The test topologies themselves: they start, serve ioredis, and fail over when a primary dies. */
describe("a 3-primary Redis Cluster with one replica each", () => {
  let cluster: ClusterTopology;
  let client: Cluster | undefined;

  beforeAll(async () => {
    cluster = await startCluster();
  });
  afterAll(async () => {
    client?.disconnect();
    await cluster?.stop();
  });

  it("serves keys on every shard and promotes a replica when a primary is killed", async () => {
    client = new Cluster(cluster.seeds, { clusterRetryStrategy: () => 100 });
    // The killed node refuses connections until the cluster forgets it; the client says so.
    client.on("error", () => {});
    // One key per shard: tags chosen so that their slots fall on different primaries.
    const keys = ["{a}x", "{b}x", "{c}x"];
    const owners = new Set<number>();
    for (const key of keys) {
      // WAIT in the same pipeline runs on the key's primary: the replica has it before the kill.
      const replies = await client.pipeline().set(key, key).wait(1, 2000).exec();
      expect(replies).toEqual([[null, "OK"], [null, 1]]);
      owners.add((await cluster.primaryFor(key)).port);
    }
    expect(owners.size).toBe(3);
    // The store's own slot function (keys.ts) agrees with the cluster's, hash tags included.
    for (const key of [...keys, "123456789", "rsvg:{abc}:session", "{}x", "a{b}c", "foo{}{bar}", "x{", "{héllo}:ü", "rsvg:channel:abc"]) {
      expect(keySlot(key), key).toBe(Number((await redisCli(cluster.nodes[0]!.port, "CLUSTER", "KEYSLOT", key)).trim()));
    }

    const victim = await cluster.primaryFor("{a}x");
    await victim.kill();
    await cluster.waitForFailover(victim);
    const successor = await cluster.primaryFor("{a}x");
    expect(successor.port).not.toBe(victim.port);
    // Replication is asynchronous; the WAIT above made sure the replica had it.
    expect(await client.get("{a}x")).toBe("{a}x");
  }, 30_000);
});

describe("a Sentinel set: a primary, a replica, three sentinels", () => {
  let set: SentinelTopology;
  let client: Redis | undefined;

  beforeAll(async () => {
    set = await startSentinelSet();
  });
  afterAll(async () => {
    client?.disconnect();
    await set?.stop();
  });

  it("names the primary, and names the replica once the primary is killed", async () => {
    client = new Redis({
      sentinels: set.sentinels.map((s) => ({ host: "127.0.0.1", port: s.port })),
      name: set.masterName,
    });
    client.on("error", () => {}); // connection refusals while the primary is down
    expect(await set.currentPrimaryPort()).toBe(set.primary.port);
    await client.set("k", "v");
    await client.wait(1, 2000);

    await set.primary.kill();
    const promoted = await set.waitForFailover(set.primary.port);
    expect(promoted).toBe(set.replica.port);
    expect(await client.get("k")).toBe("v");
  }, 30_000);
});
