import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { Ports } from "../handlers/index.js";
import type { RunningServer } from "../runtime/node/server.js";
import { ioredisPorts } from "../runtime/stores/ioredis.js";
import { memoryPorts } from "../runtime/stores/memory.js";
import { startInProcess } from "./support/server.js";
import { apiCall } from "./support/api.js";

const TEMPLATE = '<svg xmlns="http://www.w3.org/2000/svg" width="120" height="20"><text y="15">{{ n }}</text></svg>';
const API_KEY = "rotation-test-api-key";

/**
 * Two replicas: on Redis two in-process servers sharing one prefix (each with its own hub and
 * write line, as two pods have); on the memory store, one server answering as both.
 */
const stores: Array<[string, () => Promise<RunningServer[]>]> = [
  ["memory", async () => [await startInProcess(memoryPorts(), { API_KEY })]],
  [
    "redis",
    async () => {
      const prefix = `test-rotation-${crypto.randomUUID()}:`;
      const ports = (): Ports => ioredisPorts({ url: inject("redisUrl"), prefix });
      return Promise.all([startInProcess(ports(), { API_KEY }), startInProcess(ports(), { API_KEY })]);
    },
  ],
];

describe.each(stores)("rotating the write token on the %s store", (_name, start) => {
  let servers: RunningServer[];
  let a: string;
  let b: string;
  let counter = 0;

  const call = apiCall;
  const rotate = (base: string, id: string, token?: string) => call(base, "POST", `/api/session/${id}/token`, token);
  const patch = (base: string, id: string, token: string | undefined, n: number) =>
    call(base, "PATCH", `/api/session/${id}`, token, { args: { n } });

  async function create(): Promise<{ id: string; token: string }> {
    const id = `rot${++counter}-${Math.random().toString(36).slice(2, 8)}`;
    const response = await call(a, "POST", "/api/session", API_KEY, { session_id: id, template: TEMPLATE, args: { n: 0 } });
    expect(response.status).toBe(201);
    return { id, token: ((await response.json()) as { write_token: string }).write_token };
  }
  async function rotated(response: Response): Promise<string> {
    expect(response.status).toBe(200);
    const body = (await response.json()) as { write_token: string };
    expect(Object.keys(body)).toEqual(["write_token"]);
    expect(body.write_token).toMatch(/^rsvg_[A-Za-z0-9_-]{43}$/);
    return body.write_token;
  }

  beforeAll(async () => {
    servers = await start();
    a = servers[0]!.url;
    b = (servers[1] ?? servers[0]!).url;
  });
  afterAll(async () => {
    await Promise.all(servers.map((server) => server.shutdown()));
  });

  it("answers a new token; the old one is refused at once on every replica, the new one works", async () => {
    const { id, token: old } = await create();
    const before = await (await call(a, "GET", `/svg/${id}`)).text();
    const fresh = await rotated(await rotate(a, id, old));
    expect(fresh).not.toBe(old);

    for (const base of [a, b]) {
      const refused = await patch(base, id, old, 9);
      expect(refused.status).toBe(403);
      expect(await refused.json()).toMatchObject({ code: "forbidden" });
      expect((await call(base, "DELETE", `/api/session/${id}`, old)).status).toBe(403);
      expect((await rotate(base, id, old)).status).toBe(403);
    }
    // Nothing the old token tried changed anything; the rotation left frame and args alone.
    const view = (await (await call(b, "GET", `/api/session/${id}`)).json()) as { args: unknown; version: number };
    expect(view).toMatchObject({ args: { n: 0 }, version: 2 });
    expect(await (await call(b, "GET", `/svg/${id}`)).text()).toBe(before);

    const accepted = await patch(b, id, fresh, 1);
    expect(accepted.status).toBe(200);
    expect(await accepted.json()).toMatchObject({ args: { n: 1 }, version: 3 });
  });

  it("keeps the session's lifetime", async () => {
    const { id, token } = await create();
    const expiresAt = ((await (await call(a, "GET", `/api/session/${id}`)).json()) as { expires_at: string }).expires_at;
    await rotated(await rotate(b, id, token));
    const after = (await (await call(a, "GET", `/api/session/${id}`)).json()) as { expires_at: string };
    expect(after.expires_at).toBe(expiresAt);
  });

  it("may be done with the API key, which goes on working", async () => {
    const { id, token: old } = await create();
    const fresh = await rotated(await rotate(b, id, API_KEY));
    expect((await patch(a, id, old, 1)).status).toBe(403);
    expect((await patch(a, id, fresh, 2)).status).toBe(200);
    expect((await patch(a, id, API_KEY, 3)).status).toBe(200);
  });

  it("answers 401 without a token, 403 with another, 404 for no such session, 400 for a bad id", async () => {
    const { id } = await create();
    const other = await create();
    const missing = await rotate(a, id);
    expect(missing.status).toBe(401);
    expect(missing.headers.get("www-authenticate")).toContain("Bearer");
    expect(await missing.json()).toMatchObject({ code: "unauthorized" });
    expect(await (await rotate(a, id, other.token)).json()).toMatchObject({ code: "forbidden" });
    const none = await rotate(a, "no-such-session", other.token);
    expect(none.status).toBe(404);
    expect(await none.json()).toMatchObject({ code: "not_found" });
    expect((await rotate(a, "-bad", other.token)).status).toBe(400);
    expect((await call(a, "GET", `/api/session/${id}/token`)).status).toBe(405);
  });

  it("orders a rotation against concurrent writes with the old token: each is applied before it, or refused", async () => {
    for (let round = 0; round < 5; round++) {
      const { id, token: old } = await create();
      const writes = Array.from({ length: 12 }, (_, i) => patch(i % 2 ? a : b, id, old, i + 1));
      const rotation = rotate(round % 2 ? a : b, id, old);
      const answers = await Promise.all(writes.map(async (response) => {
        const answer = await response;
        return { status: answer.status, body: (await answer.json()) as { version?: number; code?: string } };
      }));
      const fresh = await rotated(await rotation);

      const applied = answers.filter((answer) => answer.status === 200).map((answer) => answer.body.version!);
      for (const answer of answers) if (answer.status !== 200) expect(answer).toMatchObject({ status: 403, body: { code: "forbidden" } });
      // Versions 2..final are the applied writes and the rotation; none applied after the rotation.
      const final = ((await (await call(a, "GET", `/api/session/${id}`)).json()) as { version: number }).version;
      expect(final).toBe(applied.length + 2);
      const rotationVersion = Array.from({ length: final - 1 }, (_, i) => i + 2).find((version) => !applied.includes(version))!;
      expect(Math.max(1, ...applied)).toBeLessThan(rotationVersion);
      expect((await patch(b, id, old, 0)).status).toBe(403);
      expect((await patch(b, id, fresh, 0)).status).toBe(200);
    }
  });

  it("lets only one of two concurrent rotations with the same token win", async () => {
    const { id, token } = await create();
    const [first, second] = await Promise.all([rotate(a, id, token), rotate(b, id, token)]);
    const statuses = [first.status, second.status].sort();
    expect(statuses).toEqual([200, 403]);
    const winner = first.status === 200 ? first : second;
    const fresh = await rotated(winner);
    expect((await patch(a, id, fresh, 1)).status).toBe(200);
  });
});
