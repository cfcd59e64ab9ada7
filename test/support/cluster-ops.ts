/**
 * Operations on a test Redis Cluster beyond starting it (redis-topologies.ts): moving one slot
 * to another primary as a reshard does, and reading which connections are subscribers.
 */
import { redisCli } from "./redis-topologies.js";

/**
 * Moves `slot` with its keys from one primary to another, the steps `redis-cli --cluster reshard`
 * takes for each slot: IMPORTING on the target, MIGRATING on the source, MIGRATE the keys, then
 * SETSLOT NODE on both and on every other primary.
 */
export async function migrateSlot(slot: number, fromPort: number, toPort: number, otherPrimaries: number[]): Promise<void> {
  const fromId = (await redisCli(fromPort, "CLUSTER", "MYID")).trim();
  const toId = (await redisCli(toPort, "CLUSTER", "MYID")).trim();
  await redisCli(toPort, "CLUSTER", "SETSLOT", String(slot), "IMPORTING", fromId);
  await redisCli(fromPort, "CLUSTER", "SETSLOT", String(slot), "MIGRATING", toId);
  for (;;) {
    const keys = (await redisCli(fromPort, "CLUSTER", "GETKEYSINSLOT", String(slot), "100")).split("\n").filter(Boolean);
    if (keys.length === 0) break;
    await redisCli(fromPort, "MIGRATE", "127.0.0.1", String(toPort), "", "0", "5000", "KEYS", ...keys);
  }
  for (const port of [toPort, fromPort, ...otherPrimaries]) {
    await redisCli(port, "CLUSTER", "SETSLOT", String(slot), "NODE", toId);
  }
}

export interface ClientEntry {
  name: string;
  /** Channels (SUBSCRIBE) and shard channels (SSUBSCRIBE) the connection listens on. */
  sub: number;
  ssub: number;
  flags: string;
}

/** CLIENT LIST of one node, parsed. */
export async function clientList(port: number): Promise<ClientEntry[]> {
  const text = await redisCli(port, "CLIENT", "LIST");
  return text
    .trim()
    .split("\n")
    .filter(Boolean)
    .map((line) => {
      const fields = new Map(line.split(" ").map((pair) => {
        const at = pair.indexOf("=");
        return [pair.slice(0, at), pair.slice(at + 1)] as const;
      }));
      return {
        name: fields.get("name") ?? "",
        sub: Number(fields.get("sub") ?? 0),
        ssub: Number(fields.get("ssub") ?? 0),
        flags: fields.get("flags") ?? "",
      };
    });
}

/**
 * The server's subscriber connections on these nodes: every connection named realtime-svg that
 * listens on a channel, and ioredis' own cluster subscriber connection, should one be open (the
 * cluster client makes one for classic SUBSCRIBE, which the server never sends; it stayed
 * unopened in every run seen, but it would count against the bound).
 */
export async function serverSubscribers(ports: number[]): Promise<{ sharded: number; idle: number }> {
  let sharded = 0;
  let idle = 0;
  for (const port of ports) {
    for (const client of await clientList(port).catch(() => [])) {
      if (client.name === "realtime-svg" && (client.ssub > 0 || client.sub > 0)) sharded++;
      else if (client.name === "ioredis-cluster(subscriber):realtime-svg") idle++;
    }
  }
  return { sharded, idle };
}
