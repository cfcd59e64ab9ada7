import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { RunningServer } from "../runtime/node/server.js";
import { ioredisPorts } from "../runtime/stores/ioredis.js";
import { apiCall as call } from "./support/api.js";
import { startInProcess } from "./support/server.js";

const TEMPLATE = '<svg xmlns="http://www.w3.org/2000/svg" width="120" height="20"><text y="15">{{ a }} {{ b }} {{ c }}</text></svg>';

/**
 * WRITE_CACHE_BYTES on a real Redis: two in-process replicas sharing a prefix, each with its own
 * write queue (as two pods). Which reads a write makes is counted with MONITOR, filtered to this
 * test's prefix, so other test files on the same Redis do not count.
 */
describe("writes starting from the record this process last wrote (Redis, two replicas)", () => {
  const prefix = `test-wcache-${crypto.randomUUID()}:`;
  let a: RunningServer;
  let b: RunningServer;
  let uncached: RunningServer;
  let monitor: Awaited<ReturnType<Redis["monitor"]>>;
  let admin: Redis;
  const reads: string[] = [];
  let counter = 0;

  beforeAll(async () => {
    const ports = () => ioredisPorts({ url: inject("redisUrl"), prefix });
    [a, b, uncached] = await Promise.all([startInProcess(ports()), startInProcess(ports()), startInProcess(ports(), { WRITE_CACHE_BYTES: "0" })]);
    admin = new Redis(inject("redisUrl"));
    monitor = await admin.monitor();
    // A script's own calls show in MONITOR too, from "lua": only the clients' reads count.
    monitor.on("monitor", (_time: string, args: string[], source: string) => {
      if (source !== "lua" && /^(get|mget)$/i.test(args[0] ?? "") && args.slice(1).some((key) => key.startsWith(prefix))) reads.push(args[1]!);
    });
  });
  afterAll(async () => {
    monitor.disconnect();
    admin.disconnect();
    await Promise.all([a, b, uncached].map((server) => server.shutdown()));
  });

  /** Reads of the store the calls in `run` made (MONITOR lags a little: a PING round trip after). */
  async function readsDuring(run: () => Promise<void>): Promise<number> {
    await admin.ping();
    const before = reads.length;
    await run();
    const probe = new Redis(inject("redisUrl"));
    await probe.ping();
    probe.disconnect();
    await new Promise((resolve) => setTimeout(resolve, 50));
    return reads.length - before;
  }

  async function create(on: RunningServer): Promise<{ id: string; token: string }> {
    const id = `wc${++counter}-${Math.random().toString(36).slice(2, 8)}`;
    const response = await call(on.url, "POST", "/api/session", undefined, { session_id: id, template: TEMPLATE, args: { a: "0" } });
    expect(response.status).toBe(201);
    return { id, token: ((await response.json()) as { write_token: string }).write_token };
  }
  const patch = (on: RunningServer, id: string, token: string, args: Record<string, unknown>) => call(on.url, "PATCH", `/api/session/${id}`, token, { args });
  const view = async (response: Response) => ({ status: response.status, body: (await response.json()) as { args?: unknown; version?: number; code?: string } });

  it("reads nothing before a write to a session this process created or wrote; reads every time with WRITE_CACHE_BYTES=0", async () => {
    const { id, token } = await create(a);
    expect(await readsDuring(async () => {
      for (let n = 1; n <= 5; n++) expect(await view(await patch(a, id, token, { a: String(n) }))).toMatchObject({ status: 200, body: { version: n + 1 } });
    })).toBe(0);
    expect(await readsDuring(async () => {
      for (let n = 6; n <= 8; n++) expect((await patch(uncached, id, token, { a: String(n) })).status).toBe(200);
    })).toBe(3);
  });

  it("loses nothing when another replica wrote since: the stale write conflicts, reads and merges onto the newer record", async () => {
    const { id, token } = await create(a);
    expect((await patch(a, id, token, { a: "1" })).status).toBe(200); // a knows version 2
    expect(await view(await patch(b, id, token, { b: "2" }))).toMatchObject({ status: 200, body: { version: 3 } });
    let answer: Awaited<ReturnType<typeof view>> | undefined;
    // One read: the compare-and-set against version 2 failed, and the retry started from the store.
    expect(await readsDuring(async () => void (answer = await view(await patch(a, id, token, { c: "3" }))))).toBe(1);
    expect(answer).toMatchObject({ status: 200, body: { version: 4, args: { a: "1", b: "2", c: "3" } } });
    expect(await (await call(b.url, "GET", `/svg/${id}`)).text()).toContain("1 2 3");
  });

  it("takes a token rotated on another replica at once, and refuses the old one", async () => {
    const { id, token: old } = await create(a);
    expect((await patch(a, id, old, { a: "1" })).status).toBe(200);
    const rotated = await call(b.url, "POST", `/api/session/${id}/token`, old);
    const fresh = ((await rotated.json()) as { write_token: string }).write_token;
    expect(await view(await patch(a, id, fresh, { a: "2" }))).toMatchObject({ status: 200, body: { version: 4 } });
    expect(await view(await patch(a, id, old, { a: "3" }))).toMatchObject({ status: 403, body: { code: "forbidden" } });
    expect(await view(await patch(b, id, old, { a: "3" }))).toMatchObject({ status: 403, body: { code: "forbidden" } });
  });

  it("answers 404 for a session deleted on another replica, and writes its new incarnation with the new token only", async () => {
    const { id, token: old } = await create(a);
    expect((await patch(a, id, old, { a: "1" })).status).toBe(200);
    expect((await call(b.url, "DELETE", `/api/session/${id}`, old)).status).toBe(204);
    expect(await view(await patch(a, id, old, { a: "2" }))).toMatchObject({ status: 404, body: { code: "not_found" } });

    expect((await patch(a, id, old, { a: "1" })).status).toBe(404); // a now knows nothing of it
    const again = await call(b.url, "POST", "/api/session", undefined, { session_id: id, template: TEMPLATE, args: { b: "new" } });
    const token = ((await again.json()) as { write_token: string }).write_token;
    expect(await view(await patch(a, id, old, { a: "x" }))).toMatchObject({ status: 403, body: { code: "forbidden" } });
    expect(await view(await patch(a, id, token, { a: "y" }))).toMatchObject({ status: 200, body: { version: 2, args: { a: "y", b: "new" } } });
  });

  it("keeps a session deleted and created again on another replica apart from what it knew", async () => {
    const { id, token: old } = await create(a);
    expect((await patch(a, id, old, { a: "1" })).status).toBe(200); // a knows incarnation 1, version 2
    expect((await call(b.url, "DELETE", `/api/session/${id}`, old)).status).toBe(204);
    const again = await call(b.url, "POST", "/api/session", undefined, { session_id: id, template: TEMPLATE, args: { b: "new" } });
    const token = ((await again.json()) as { write_token: string }).write_token;
    // a's known record names the old token: the new one is checked against the store's record.
    expect(await view(await patch(a, id, token, { a: "z" }))).toMatchObject({ status: 200, body: { version: 2, args: { a: "z", b: "new" } } });
    expect(await view(await patch(a, id, old, { a: "w" }))).toMatchObject({ status: 403, body: { code: "forbidden" } });
  });
});
