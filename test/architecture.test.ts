/**
 * What the design promises beyond the API: writes from one process are serialized without waste,
 * and frame identity survives a store that loses its records behind the server's back.
 */
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { Ports } from "../handlers/index.js";
import type { RunningServer } from "../runtime/node/server.js";
import { ioredisPorts } from "../runtime/stores/ioredis.js";
import { memoryPorts } from "../runtime/stores/memory.js";
import { readMultipart } from "./support/multipart.js";
import { startRedisServer, type RedisProcess } from "./support/redis.js";
import { spawnServer, startInProcess, type ServerProcess } from "./support/server.js";

const TEMPLATE = "<svg>{{ n }}</svg>";

async function createSession(base: string, id: string, args: Record<string, unknown> = { n: 0 }): Promise<string> {
  const response = await fetch(`${base}/api/session`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ session_id: id, template: TEMPLATE, args }),
  });
  expect(response.status).toBe(201);
  return ((await response.json()) as { write_token: string }).write_token;
}

const patch = (base: string, id: string, token: string, args: Record<string, unknown>) =>
  fetch(`${base}/api/session/${id}`, {
    method: "PATCH",
    headers: { "Content-Type": "application/json", Authorization: `Bearer ${token}` },
    body: JSON.stringify({ args }),
  });

/** A counter or histogram count from the Prometheus text. */
async function metric(base: string, name: string): Promise<number> {
  const text = await (await fetch(`${base}/metrics`)).text();
  const line = text.split("\n").find((each) => each.startsWith(`${name} `));
  return line === undefined ? 0 : Number(line.split(" ")[1]);
}

const prefix = `arch-${crypto.randomUUID()}:`;
const backends: Array<[string, () => Ports]> = [
  ["memory", () => memoryPorts()],
  ["redis", () => ioredisPorts({ url: inject("redisUrl"), prefix })],
];

describe.each(backends)("concurrent writes to one session from one process (%s)", (_name, makePorts) => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startInProcess(makePorts());
  });
  afterAll(async () => {
    await server.shutdown();
  });

  it("8 PATCHes raise the render count in /metrics by 8, with no conflict, and all land", async () => {
    const token = await createSession(server.url, "busy");
    const renders = await metric(server.url, "rsvg_render_duration_seconds_count");
    const conflicts = await metric(server.url, "rsvg_write_conflicts_total");
    const answers = await Promise.all(Array.from({ length: 8 }, (_, i) => patch(server.url, "busy", token, { [`k${i}`]: i })));
    expect(answers.map((answer) => answer.status)).toEqual(Array(8).fill(200));
    expect((await metric(server.url, "rsvg_render_duration_seconds_count")) - renders).toBe(8);
    expect((await metric(server.url, "rsvg_write_conflicts_total")) - conflicts).toBe(0);
    const session = (await (await fetch(`${server.url}/api/session/busy`)).json()) as { version: number; args: object };
    expect(session.version).toBe(9);
    expect(Object.keys(session.args)).toHaveLength(9);
  });
});

describe("a stream open on a session whose record is replaced behind the server's back", () => {
  // A Redis of its own: FLUSHALL must not touch the other suites' keys.
  let redis: RedisProcess;
  let server: ServerProcess;
  beforeAll(async () => {
    redis = await startRedisServer();
    server = await spawnServer({ REDIS_URL: redis.url });
  });
  afterAll(async () => {
    await server?.stop();
    await redis?.stop();
  });

  it("shows the re-created session's frames, although their versions start again at 1", async () => {
    const token = await createSession(server.url, "phoenix", { n: "old" });
    for (let n = 1; n <= 3; n++) expect((await patch(server.url, "phoenix", token, { n: `old ${n}` })).status).toBe(200);
    const stream = readMultipart(await fetch(`${server.url}/stream/phoenix`));
    try {
      expect(await stream.next()).toBe("<svg>old 3</svg>"); // version 4

      const admin = new Redis(redis.url);
      await admin.flushall();
      await admin.quit();

      const reborn = await createSession(server.url, "phoenix", { n: "new" });
      expect(await stream.next(5_000)).toBe("<svg>new</svg>");
      expect((await patch(server.url, "phoenix", reborn, { n: "new 2" })).status).toBe(200);
      expect(await stream.next(5_000)).toBe("<svg>new 2</svg>");
      // The old session's token names an incarnation that is gone.
      expect((await patch(server.url, "phoenix", token, { n: "old again" })).status).toBe(403);
    } finally {
      stream.close();
    }
  });
});
