/**
 * TLS to Redis, end to end: the real server process on redis-server processes that serve TLS only
 * (the plain port off), with a CA and certificate made by openssl for this run
 * (test/support/tls-certs.ts) — one Redis by rediss:// URL and by REDIS_HOST + REDIS_TLS, a Sentinel
 * set and a Cluster by REDIS_TLS; and the refusals: a certificate from another CA, and a
 * self-made CA that REDIS_CA_FILE does not name.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readMultipart } from "./support/multipart.js";
import { startRedisServer, type RedisProcess } from "./support/redis.js";
import { startCluster, startSentinelSet, type ClusterTopology, type SentinelTopology } from "./support/redis-topologies.js";
import { logLines, spawnServer, type ServerProcess } from "./support/server.js";
import { makeTlsCerts, type TlsMaterial } from "./support/tls-certs.js";

let certs: TlsMaterial;
/** A second CA of the same making, which signed nothing the Redis servers present. */
let otherCa: TlsMaterial;
const servers: ServerProcess[] = [];

beforeAll(async () => {
  [certs, otherCa] = await Promise.all([makeTlsCerts(), makeTlsCerts()]);
});
afterAll(async () => {
  await Promise.all(servers.map((server) => server.stop()));
  await Promise.all([certs?.remove(), otherCa?.remove()]);
});

async function serve(env: Record<string, string>): Promise<ServerProcess> {
  const server = await spawnServer({ READY_TIMEOUT_MS: "1000", ...env });
  servers.push(server);
  return server;
}

const addressList = (ports: number[]) => ports.map((port) => `127.0.0.1:${port}`).join(",");
const json = { "Content-Type": "application/json" };
const template = '<svg xmlns="http://www.w3.org/2000/svg"><text>{{ n }}</text></svg>';

/** Ready on Redis; then, for each id, a created session's stream receives the next write. */
async function provesServing(env: Record<string, string>, ids: string[]): Promise<void> {
  const server = await serve(env);
  await expect
    .poll(async () => (await fetch(`${server.url}/ready`)).status, { timeout: 10_000, interval: 200 })
    .toBe(200);
  expect(await (await fetch(`${server.url}/ready`)).json()).toEqual({ status: "ready", store: "redis" });
  for (const id of ids) {
    const created = await fetch(`${server.url}/api/session`, {
      method: "POST",
      headers: json,
      body: JSON.stringify({ session_id: id, template, args: { n: 0 } }),
    });
    expect(created.status).toBe(201);
    const { write_token: token } = (await created.json()) as { write_token: string };
    const stream = readMultipart(await fetch(`${server.url}/stream/${id}`));
    try {
      expect(await stream.next(3_000)).toContain("<text>0</text>");
      const update = await fetch(`${server.url}/api/session/${id}`, {
        method: "PATCH",
        headers: { ...json, Authorization: `Bearer ${token}` },
        body: JSON.stringify({ args: { n: 1 } }),
      });
      expect(update.status).toBe(200);
      expect(await stream.next(3_000)).toContain("<text>1</text>");
    } finally {
      stream.close();
    }
  }
}

/** Not ready, alive, and the log names the certificate check as why Redis cannot be reached. */
async function provesRefusal(env: Record<string, string>): Promise<void> {
  const server = await serve(env);
  const ready = await fetch(`${server.url}/ready`);
  expect(ready.status).toBe(503);
  expect(await ready.json()).toMatchObject({ status: "unavailable", reason: expect.stringContaining("redis") });
  await expect
    .poll(() => logLines(server).filter((line) => line["msg"] === "redis connection lost; reconnecting").map((line) => line["connection"]).sort(), { timeout: 5_000 })
    .toEqual(["command", "subscriber"]);
  for (const line of logLines(server).filter((l) => l["msg"] === "redis connection lost; reconnecting")) {
    // redis-server sends the self-made root in its chain, which Node names as such.
    expect(line["reason"]).toMatch(/self-signed certificate in certificate chain/);
  }
  const write = await fetch(`${server.url}/api/session`, {
    method: "POST",
    headers: json,
    body: JSON.stringify({ session_id: "refused", template, args: { n: 0 } }),
  });
  expect(write.status).toBe(503);
  expect((await fetch(`${server.url}/health`)).status).toBe(200);
  expect(server.process.exitCode).toBeNull();
}

describe("one Redis serving TLS only", () => {
  let redis: RedisProcess;
  beforeAll(async () => {
    redis = await startRedisServer(undefined, { tls: certs });
  });
  afterAll(async () => {
    await redis?.stop();
  });

  it("serves through a rediss:// URL with REDIS_CA_FILE", async () => {
    expect(redis.url).toBe(`rediss://127.0.0.1:${redis.port}`);
    await provesServing({ REDIS_URL: redis.url, REDIS_CA_FILE: certs.caFile }, ["tls-url"]);
  });

  it("serves through REDIS_HOST and REDIS_PORT with REDIS_TLS=true and REDIS_CA_FILE", async () => {
    await provesServing(
      { REDIS_HOST: "127.0.0.1", REDIS_PORT: String(redis.port), REDIS_TLS: "true", REDIS_CA_FILE: certs.caFile },
      ["tls-host"],
    );
  });

  it("refuses a certificate of another CA than REDIS_CA_FILE's: not ready, the reason logged, no crash", async () => {
    await provesRefusal({ REDIS_URL: redis.url, REDIS_CA_FILE: otherCa.caFile });
  });

  it("refuses the self-made CA's certificate without REDIS_CA_FILE (the system's CAs)", async () => {
    await provesRefusal({ REDIS_HOST: "127.0.0.1", REDIS_PORT: String(redis.port), REDIS_TLS: "true" });
  });

  it("the plain port is off: Redis answers only over TLS", async () => {
    const plain = await serve({ REDIS_URL: `redis://127.0.0.1:${redis.port}` });
    expect((await fetch(`${plain.url}/ready`)).status).toBe(503);
  });
});

describe("a Sentinel set serving TLS only (sentinels and data nodes)", () => {
  let set: SentinelTopology;
  beforeAll(async () => {
    set = await startSentinelSet(undefined, certs);
  }, 60_000);
  afterAll(async () => {
    await set?.stop();
  });

  it("serves through REDIS_SENTINELS with REDIS_TLS=true and REDIS_CA_FILE", async () => {
    await provesServing(
      {
        REDIS_SENTINELS: addressList(set.sentinels.map((s) => s.port)),
        REDIS_SENTINEL_MASTER: set.masterName,
        REDIS_TLS: "true",
        REDIS_CA_FILE: certs.caFile,
      },
      ["tls-sentinel"],
    );
  });
});

describe("a Cluster serving TLS only (clients, cluster bus, replication)", () => {
  let cluster: ClusterTopology;
  beforeAll(async () => {
    cluster = await startCluster(certs);
  }, 60_000);
  afterAll(async () => {
    await cluster?.stop();
  });

  it("serves through REDIS_CLUSTER_NODES with REDIS_TLS=true and REDIS_CA_FILE, on every shard", async () => {
    // Several ids, so that the sessions fall on more than one shard.
    const ids = ["tls-a", "tls-b", "tls-c", "tls-d"];
    const owners = new Set(await Promise.all(ids.map(async (id) => (await cluster.primaryFor(`{${id}}`)).port)));
    expect(owners.size).toBeGreaterThan(1);
    await provesServing(
      { REDIS_CLUSTER_NODES: addressList(cluster.nodes.map((n) => n.port)), REDIS_TLS: "true", REDIS_CA_FILE: certs.caFile },
      ids,
    );
  }, 30_000);
});
