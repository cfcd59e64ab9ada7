import { createHmac, randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { Ports } from "../handlers/index.js";
import type { RunningServer } from "../runtime/node/server.js";
import { ioredisPorts } from "../runtime/stores/ioredis.js";
import { memoryPorts } from "../runtime/stores/memory.js";
import { readMultipart } from "./support/multipart.js";
import { spawnServer, startInProcess } from "./support/server.js";
import { apiCall } from "./support/api.js";

/**
 * Webhooks end to end, with deliveries shaped as each sender documents them: GitHub's
 * workflow_run (X-GitHub-Event, X-GitHub-Delivery, X-Hub-Signature-256, User-Agent
 * GitHub-Hookshot/…), GitLab's Pipeline Hook (X-Gitlab-Event, X-Gitlab-Token, Idempotency-Key),
 * Standard Webhooks (webhook-id, webhook-timestamp, webhook-signature), and a URL-only uptime
 * monitor. Signatures are computed here, from the secret the create call answered.
 */

const BADGE = '<svg xmlns="http://www.w3.org/2000/svg" width="120" height="20"><text y="15">build: {{ status }}</text></svg>';
const API_KEY = "webhooks-test-api-key";
const ENV = { API_KEY, MAX_BODY_BYTES: "8192", MAX_HOOKS_PER_SESSION: "3" };
const GITHUB_MAP = {
  status:
    "{% if workflow_run.status == 'completed' %}{% if workflow_run.conclusion == 'success' %}passing{% else %}{{ workflow_run.conclusion }}{% endif %}{% else %}{{ workflow_run.status }}{% endif %}",
};

const hmacHex = (secret: string, body: string) => createHmac("sha256", secret).update(body).digest("hex");
const standardSignature = (secret: string, id: string, timestamp: number, body: string) =>
  createHmac("sha256", Buffer.from(secret.replace(/^whsec_/, ""), "base64")).update(`${id}.${timestamp}.${body}`).digest("base64");

/** A workflow_run delivery body, trimmed to the fields a badge needs plus some of the rest. */
function workflowRun(status: string, conclusion: string | null, action = "completed") {
  return JSON.stringify({
    action,
    workflow_run: { id: 30433642, name: "CI", head_branch: "main", event: "push", status, conclusion, run_number: 562, html_url: "https://github.com/octo-org/octo-repo/actions/runs/30433642" },
    workflow: { id: 159038, name: "CI", path: ".github/workflows/ci.yml" },
    repository: { full_name: "octo-org/octo-repo" },
    sender: { login: "octocat" },
  });
}

function githubHeaders(secret: string, body: string, event = "workflow_run", delivery: string = randomUUID()) {
  return {
    "Content-Type": "application/json",
    "User-Agent": "GitHub-Hookshot/044aadd",
    "X-GitHub-Event": event,
    "X-GitHub-Delivery": delivery,
    "X-GitHub-Hook-ID": "292430182",
    "X-Hub-Signature-256": `sha256=${hmacHex(secret, body)}`,
  };
}

const stores: Array<[string, () => Promise<RunningServer[]>, () => Redis | null]> = [
  ["memory", async () => [await startInProcess(memoryPorts(), ENV)], () => null],
  [
    "redis",
    async () => {
      const ports = (): Ports => ioredisPorts({ url: inject("redisUrl"), prefix });
      return Promise.all([startInProcess(ports(), ENV), startInProcess(ports(), ENV)]);
    },
    () => new Redis(inject("redisUrl")),
  ],
];
let prefix = "";

describe.each(stores)("webhooks on the %s store", (name, start) => {
  let servers: RunningServer[];
  /** Deliveries go to a; streams read from b (on Redis another replica). */
  let a: string;
  let b: string;
  let counter = 0;

  const call = apiCall;

  async function session(): Promise<{ id: string; token: string }> {
    const id = `hook${++counter}-${Math.random().toString(36).slice(2, 8)}`;
    const response = await call(a, "POST", "/api/session", API_KEY, { session_id: id, template: BADGE, args: { status: "unknown" } });
    expect(response.status).toBe(201);
    return { id, token: ((await response.json()) as { write_token: string }).write_token };
  }

  async function hook(id: string, token: string, spec: Record<string, unknown>) {
    const response = await call(a, "POST", `/api/session/${id}/hooks`, token, spec);
    expect(response.status).toBe(201);
    return (await response.json()) as { hook_id: string; url: string; secret: string };
  }

  const snapshot = async (id: string) => (await fetch(`${b}/svg/${id}`)).text();
  const version = async (id: string) => ((await (await call(b, "GET", `/api/session/${id}`)).json()) as { version: number }).version;
  /** The delivery URL as the server printed it, pointed at replica a. */
  const at = (url: string) => `${a}${new URL(url).pathname}${new URL(url).search}`;

  beforeAll(async () => {
    prefix = `test-hooks-${randomUUID()}:`;
    servers = await start();
    a = servers[0]!.url;
    b = (servers[1] ?? servers[0]!).url;
  });
  afterAll(async () => {
    await Promise.all(servers.map((server) => server.shutdown()));
  });

  it("a signed GitHub workflow_run turns an open stream's badge to passing; a wrong signature and a replay change nothing", async () => {
    const { id, token } = await session();
    const created = await hook(id, token, { verify: "github", map: GITHUB_MAP, events: ["workflow_run"] });
    expect(created.hook_id).toMatch(/^hk_[A-Za-z0-9_-]{24}$/);
    expect(created.url).toBe(`${a}/hook/${created.hook_id}`);

    const stream = readMultipart(await fetch(`${b}/stream/${id}`));
    expect(await stream.next()).toContain("build: unknown");

    // A run starting, then the same run done: the first delivery also warms the process up.
    const started = workflowRun("in_progress", null, "in_progress");
    const first = performance.now();
    expect((await fetch(at(created.url), { method: "POST", headers: githubHeaders(created.secret, started), body: started })).status).toBe(200);
    expect(await stream.next(5_000)).toContain("build: in_progress");
    const firstMs = performance.now() - first;

    const body = workflowRun("completed", "success");
    const headers = githubHeaders(created.secret, body);
    const sent = performance.now();
    const delivered = await fetch(at(created.url), { method: "POST", headers, body });
    const frame = await stream.next(5_000);
    const delayMs = performance.now() - sent;
    expect(delivered.status).toBe(200);
    expect(await delivered.json()).toMatchObject({ ok: true, applied: true, args: { status: "passing" } });
    expect(frame).toContain("build: passing");
    console.log(
      `[${name}] GitHub workflow_run delivery → frame on an open stream (${servers.length > 1 ? "another replica" : "the same server"}): ` +
        `first delivery ${firstMs.toFixed(1)} ms, completed/success ${delayMs.toFixed(1)} ms`,
    );
    const applied = await version(id);

    // The same bytes with a signature from another secret: 401, nothing written.
    const forged = workflowRun("completed", "failure");
    const wrong = await fetch(at(created.url), { method: "POST", headers: githubHeaders("not-the-secret", forged), body: forged });
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toMatchObject({ code: "invalid_signature" });
    // A valid signature of another body does not carry over either.
    const swapped = await fetch(at(created.url), { method: "POST", headers, body: forged });
    expect(swapped.status).toBe(401);
    const unsigned = await fetch(at(created.url), { method: "POST", headers: { "Content-Type": "application/json", "X-GitHub-Event": "workflow_run" }, body });
    expect(unsigned.status).toBe(401);

    // GitHub's redeliver: the same delivery id, applied already.
    const again = await fetch(at(created.url), { method: "POST", headers, body });
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual({ ok: true, duplicate: true });
    expect(await version(id)).toBe(applied);
    expect(await snapshot(id)).toContain("build: passing");
    stream.close();
  });

  it("answers ping without a write, 202 for a filtered event, and takes GitHub's form-encoded payload=", async () => {
    const { id, token } = await session();
    const created = await hook(id, token, { verify: "github", map: GITHUB_MAP, events: ["workflow_run.completed"] });
    const before = await version(id);

    const ping = JSON.stringify({ zen: "Keep it logically awesome.", hook_id: 292430182 });
    const pinged = await fetch(at(created.url), { method: "POST", headers: githubHeaders(created.secret, ping, "ping"), body: ping });
    expect(pinged.status).toBe(200);
    expect(await pinged.json()).toEqual({ ok: true, ping: true });

    const push = JSON.stringify({ ref: "refs/heads/main" });
    const filtered = await fetch(at(created.url), { method: "POST", headers: githubHeaders(created.secret, push, "push"), body: push });
    expect(filtered.status).toBe(202);
    expect(await filtered.json()).toMatchObject({ ignored: true, event: "push" });
    // workflow_run.requested does not match the filter's workflow_run.completed.
    const requested = workflowRun("queued", null, "requested");
    expect((await fetch(at(created.url), { method: "POST", headers: githubHeaders(created.secret, requested), body: requested })).status).toBe(202);
    expect(await version(id)).toBe(before);

    const form = `payload=${encodeURIComponent(workflowRun("completed", "failure"))}`;
    const formHeaders = { ...githubHeaders(created.secret, form), "Content-Type": "application/x-www-form-urlencoded" };
    const applied = await fetch(at(created.url), { method: "POST", headers: formHeaders, body: form });
    expect(applied.status).toBe(200);
    expect(await snapshot(id)).toContain("build: failure");
  });

  it("rotating a hook's secret refuses the old one at once", async () => {
    const { id, token } = await session();
    const created = await hook(id, token, { verify: "github", map: GITHUB_MAP });
    const rotated = await call(a, "POST", `/api/session/${id}/hooks/${created.hook_id}/secret`, token);
    expect(rotated.status).toBe(200);
    const { secret } = (await rotated.json()) as { secret: string };
    expect(secret).not.toBe(created.secret);

    const body = workflowRun("completed", "success");
    for (const base of [a, b]) {
      const old = await fetch(`${base}/hook/${created.hook_id}`, { method: "POST", headers: githubHeaders(created.secret, body), body });
      expect(old.status).toBe(401);
    }
    expect(await snapshot(id)).toContain("build: unknown");
    const fresh = await fetch(at(created.url), { method: "POST", headers: githubHeaders(secret, body), body });
    expect(fresh.status).toBe(200);
    expect(await snapshot(id)).toContain("build: passing");
  });

  it("a GitLab Pipeline Hook with X-Gitlab-Token drives the badge; a wrong token is 401, another event 202", async () => {
    const { id, token } = await session();
    const created = await hook(id, token, {
      verify: "gitlab",
      map: { status: "{{ object_attributes.status }}", ref: "{{ object_attributes.ref }}" },
      events: ["Pipeline Hook"],
    });
    const body = JSON.stringify({
      object_kind: "pipeline",
      object_attributes: { id: 31, iid: 3, ref: "main", tag: false, sha: "bcbb5ec396a2c0f828686f14fac9b80b780504f2", status: "success", detailed_status: "passed", duration: 63 },
      project: { id: 1, name: "Gitlab Test", path_with_namespace: "gitlab-org/gitlab-test" },
    });
    const headers = {
      "Content-Type": "application/json",
      "User-Agent": "GitLab/17.6.0",
      "X-Gitlab-Event": "Pipeline Hook",
      "X-Gitlab-Instance": "https://gitlab.example.com",
      "X-Gitlab-Webhook-UUID": randomUUID(),
      "Idempotency-Key": randomUUID(),
      "X-Gitlab-Token": created.secret,
    };
    const wrong = await fetch(at(created.url), { method: "POST", headers: { ...headers, "X-Gitlab-Token": `${created.secret}x` }, body });
    expect(wrong.status).toBe(401);
    expect(await snapshot(id)).toContain("build: unknown");

    const push = await fetch(at(created.url), { method: "POST", headers: { ...headers, "X-Gitlab-Event": "Push Hook" }, body: '{"object_kind":"push"}' });
    expect(push.status).toBe(202);

    const applied = await fetch(at(created.url), { method: "POST", headers, body });
    expect(applied.status).toBe(200);
    expect(await snapshot(id)).toContain("build: success");
    // A GitLab retry repeats Idempotency-Key.
    expect(await (await fetch(at(created.url), { method: "POST", headers, body })).json()).toEqual({ ok: true, duplicate: true });
  });

  it("Standard Webhooks: a valid signature among several applies once; a stale or future timestamp is refused", async () => {
    const { id, token } = await session();
    const created = await hook(id, token, { verify: "standard", map: { status: "{{ data.state }}" }, events: ["monitor.changed"] });
    expect(created.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    const body = JSON.stringify({ type: "monitor.changed", timestamp: new Date().toISOString(), data: { state: "degraded" } });
    const send = (msgId: string, timestamp: number, signature: string) =>
      fetch(at(created.url), {
        method: "POST",
        headers: { "Content-Type": "application/json", "webhook-id": msgId, "webhook-timestamp": String(timestamp), "webhook-signature": signature },
        body,
      });
    const now = Math.floor(Date.now() / 1000);

    const stale = await send("msg_stale", now - 600, `v1,${standardSignature(created.secret, "msg_stale", now - 600, body)}`);
    expect(stale.status).toBe(401);
    expect(await stale.json()).toMatchObject({ code: "stale_timestamp" });
    const future = await send("msg_future", now + 600, `v1,${standardSignature(created.secret, "msg_future", now + 600, body)}`);
    expect(future.status).toBe(401);
    const forged = await send("msg_1", now, `v1,${standardSignature("whsec_" + Buffer.alloc(32, 7).toString("base64"), "msg_1", now, body)}`);
    expect(forged.status).toBe(401);
    expect(await snapshot(id)).toContain("build: unknown");

    // A sender rotating its key signs with both; one matching is enough.
    const both = `v1,${Buffer.alloc(32).toString("base64")} v1,${standardSignature(created.secret, "msg_1", now, body)}`;
    const applied = await send("msg_1", now, both);
    expect(applied.status).toBe(200);
    expect(await snapshot(id)).toContain("build: degraded");
    const before = await version(id);
    expect(await (await send("msg_1", now, both)).json()).toEqual({ ok: true, duplicate: true });
    expect(await version(id)).toBe(before);

    // A sender that generates its own secret: the hook takes it, in the spec's form only.
    const theirs = `whsec_${Buffer.alloc(24, 9).toString("base64")}`;
    const chosen = await hook(id, token, { verify: "standard", map: { status: "{{ data.state }}" }, secret: theirs });
    expect(chosen.secret).toBe(theirs);
    const signed = await fetch(at(chosen.url), {
      method: "POST",
      headers: { "Content-Type": "application/json", "webhook-id": "msg_2", "webhook-timestamp": String(now), "webhook-signature": `v1,${standardSignature(theirs, "msg_2", now, body)}` },
      body,
    });
    expect(signed.status).toBe(200);
    const short = await call(a, "POST", `/api/session/${id}/hooks`, token, { verify: "standard", map: { status: "x" }, secret: `whsec_${Buffer.alloc(16).toString("base64")}` });
    expect(short.status).toBe(400);
  });

  it("an uptime monitor's GET /hook/ID/TOKEN?status=down on an allow_get token hook updates the image", async () => {
    const { id, token } = await session();
    const created = await hook(id, token, { verify: "token", map: { status: "{{ status | default: 'up' }}" }, allow_get: true });
    expect(created.url).toBe(`${a}/hook/${created.hook_id}/${created.secret}`);
    const stream = readMultipart(await fetch(`${b}/stream/${id}`));
    await stream.next();

    const down = await fetch(`${at(created.url)}?monitor=api&status=down`);
    expect(down.status).toBe(200);
    expect(await stream.next(5_000)).toContain("build: down");
    // The credential as ?token= works as well, with POST and a query-only mapping too.
    const up = await fetch(`${a}/hook/${created.hook_id}?token=${created.secret}`, { method: "POST" });
    expect(up.status).toBe(200);
    expect(await stream.next(5_000)).toContain("build: up");
    // HEAD never writes.
    expect((await fetch(`${at(created.url)}?status=down`, { method: "HEAD" })).status).toBe(405);
    const wrong = await fetch(`${a}/hook/${created.hook_id}/not-the-token?status=down`);
    expect(wrong.status).toBe(401);
    stream.close();
    expect(await snapshot(id)).toContain("build: up");

    // GET must be enabled per hook.
    const postOnly = await hook(id, token, { verify: "token", map: { status: "{{ query.status }}" } });
    expect((await fetch(`${at(postOnly.url)}?status=down`)).status).toBe(405);
    expect((await fetch(`${at(postOnly.url)}?status=down`, { method: "POST" })).status).toBe(200);
  });

  it("refuses an oversized body with 413 and a failing mapping with 422 naming the argument, and changes nothing", async () => {
    const { id, token } = await session();
    const created = await hook(id, token, {
      verify: "github",
      // Data-dependent: a large n exceeds the render memory bound while mapping.
      map: { status: "{% for i in (1..n) %}{% for j in (1..n) %}x{% endfor %}{% endfor %}ok" },
    });
    const big = JSON.stringify({ n: 1, pad: "x".repeat(9_000) });
    const tooLarge = await fetch(at(created.url), { method: "POST", headers: githubHeaders(created.secret, big), body: big });
    expect(tooLarge.status).toBe(413);

    const heavy = JSON.stringify({ n: 100_000 });
    const failed = await fetch(at(created.url), { method: "POST", headers: githubHeaders(created.secret, heavy, "workflow_run", "d-heavy"), body: heavy });
    expect(failed.status).toBe(422);
    const error = (await failed.json()) as { code: string; error: string };
    expect(error.code).toBe("mapping_failed");
    expect(error.error).toContain('"status"');
    expect(await snapshot(id)).toContain("build: unknown");

    // The failed delivery id was not recorded: its redelivery is tried again (and fails again).
    const retried = await fetch(at(created.url), { method: "POST", headers: githubHeaders(created.secret, heavy, "workflow_run", "d-heavy"), body: heavy });
    expect(retried.status).toBe(422);
  });

  it("records recent deliveries for the owner, lists hooks without secrets, and bounds hooks per session", async () => {
    const { id, token } = await session();
    const created = await hook(id, token, { verify: "github", map: GITHUB_MAP });
    const body = workflowRun("completed", "success");
    await fetch(at(created.url), { method: "POST", headers: githubHeaders("wrong", body), body });
    await fetch(at(created.url), { method: "POST", headers: githubHeaders(created.secret, body, "workflow_run", "d-1"), body });

    expect((await call(a, "GET", `/api/session/${id}/hooks/${created.hook_id}/deliveries`)).status).toBe(401);
    const log = (await (await call(b, "GET", `/api/session/${id}/hooks/${created.hook_id}/deliveries`, token)).json()) as {
      deliveries: Array<Record<string, unknown>>;
    };
    expect(log.deliveries).toHaveLength(2);
    expect(log.deliveries[0]).toMatchObject({ event: "workflow_run", delivery_id: "d-1", verified: true, status: 200, outcome: "applied", args: { status: "passing" } });
    expect(log.deliveries[1]).toMatchObject({ verified: false, status: 401, outcome: "invalid_signature" });

    const listed = await (await call(a, "GET", `/api/session/${id}/hooks`, token)).text();
    expect(listed).toContain(created.hook_id);
    expect(listed).not.toContain(created.secret);
    expect((await call(a, "GET", `/api/session/${id}/hooks`)).status).toBe(401);

    await hook(id, token, { verify: "gitlab", map: { status: "{{ x }}" } });
    await hook(id, token, { verify: "token", map: { status: "{{ x }}" } });
    const fourth = await call(a, "POST", `/api/session/${id}/hooks`, token, { verify: "token", map: { status: "{{ x }}" } });
    expect(fourth.status).toBe(409);
    expect(await fourth.json()).toMatchObject({ code: "too_many_hooks" });

    expect((await call(a, "DELETE", `/api/session/${id}/hooks/${created.hook_id}`, token)).status).toBe(204);
    const gone = await fetch(at(created.url), { method: "POST", headers: githubHeaders(created.secret, body), body });
    expect(gone.status).toBe(404);
    expect(await gone.json()).toMatchObject({ code: "hook_not_found" });
  });

  it("a hook cannot delete or read its session, and dies with it", async () => {
    const { id, token } = await session();
    const created = await hook(id, token, { verify: "token", map: { status: "{{ status }}" }, allow_get: true });
    const hookBase = `${a}/hook/${created.hook_id}`;
    expect((await fetch(hookBase, { method: "DELETE" })).status).toBe(405);
    expect((await fetch(`${at(created.url)}`, { method: "PUT" })).status).toBe(405);
    // Its credential is no write token.
    expect((await call(a, "DELETE", `/api/session/${id}`, created.secret)).status).toBe(403);
    expect((await call(a, "PATCH", `/api/session/${id}`, created.secret, { template: "<svg/>" })).status).toBe(403);
    expect((await call(a, "GET", `/api/session/${id}/hooks`, created.secret)).status).toBe(403);
    // A delivery's answer carries no token or template, and a mapping cannot name the template.
    const answer = await (await fetch(`${at(created.url)}?status=ok`)).text();
    expect(answer).not.toContain(token);
    expect(answer).not.toContain("<svg");
    const templated = await call(a, "POST", `/api/session/${id}/hooks`, token, { verify: "token", map: { status: "x" }, template: "<svg/>" });
    expect(templated.status).toBe(400);
    const session1 = (await (await call(a, "GET", `/api/session/${id}`)).json()) as { template: string; args: object };
    expect(session1.template).toBe(BADGE);

    // Deleted and made again: the old hook does not drive the new session.
    expect((await call(a, "DELETE", `/api/session/${id}`, token)).status).toBe(204);
    expect((await fetch(`${at(created.url)}?status=zombie`)).status).toBe(404);
    const again = await call(a, "POST", "/api/session", API_KEY, { session_id: id, template: BADGE, args: { status: "new" } });
    expect(again.status).toBe(201);
    expect((await fetch(`${at(created.url)}?status=zombie`)).status).toBe(404);
    expect(await snapshot(id)).toContain("build: new");
  });
});

describe("SECRETS_KEY", () => {
  it("seals HMAC secrets in Redis (never plaintext) and verifies deliveries through them", async () => {
    const sealedPrefix = `test-hooks-sealed-${randomUUID()}:`;
    const SECRETS_KEY = Buffer.alloc(32, 42).toString("base64");
    const server = await startInProcess(ioredisPorts({ url: inject("redisUrl"), prefix: sealedPrefix }), { API_KEY, SECRETS_KEY });
    const redis = new Redis(inject("redisUrl"));
    try {
      const headers = { "Content-Type": "application/json", Authorization: `Bearer ${API_KEY}` };
      const id = "sealed";
      expect((await fetch(`${server.url}/api/session`, { method: "POST", headers, body: JSON.stringify({ session_id: id, template: BADGE, args: { status: "unknown" } }) })).status).toBe(201);
      const created = (await (await fetch(`${server.url}/api/session/${id}/hooks`, { method: "POST", headers, body: JSON.stringify({ verify: "github", map: GITHUB_MAP }) })).json()) as {
        hook_id: string;
        secret: string;
      };
      const stored = (await redis.get(`${sealedPrefix}hook:${created.hook_id}`))!;
      expect(stored).toContain('"sealed"');
      expect(stored).not.toContain(created.secret);
      const ttl = await redis.ttl(`${sealedPrefix}hook:${created.hook_id}`);
      expect(ttl).toBeGreaterThan(86_000); // the session's default lifetime, 1 day
      expect(ttl).toBeLessThanOrEqual(86_400);

      const body = workflowRun("completed", "success");
      const delivered = await fetch(`${server.url}/hook/${created.hook_id}`, { method: "POST", headers: githubHeaders(created.secret, body), body });
      expect(delivered.status).toBe(200);
      expect(await (await fetch(`${server.url}/svg/${id}`)).text()).toContain("build: passing");
    } finally {
      redis.disconnect();
      await server.shutdown();
    }
  });

  it("a key that is not base64 of 32 bytes stops the server at startup with exit code 2", async () => {
    const refused = await spawnServer({ SECRETS_KEY: Buffer.alloc(16, 1).toString("base64") }).then(
      async (server) => {
        await server.stop();
        throw new Error("the server started with a 16-byte SECRETS_KEY");
      },
      (error: Error) => error.message,
    );
    expect(refused).toMatch(/^server exited with 2:/);
    expect(refused).toContain("invalid SECRETS_KEY=(hidden)");
  });
});

describe("request logs of deliveries", () => {
  it("never show a token hook's credential, in the path or the query", async () => {
    const server = await spawnServer({ API_KEY, LOG_LEVEL: "info" });
    let secret: string | undefined;
    try {
      const headers = { "Content-Type": "application/json", Authorization: `Bearer ${API_KEY}` };
      await fetch(`${server.url}/api/session`, { method: "POST", headers, body: JSON.stringify({ session_id: "logged-hook", template: BADGE, args: { status: "x" } }) });
      const created = (await (await fetch(`${server.url}/api/session/logged-hook/hooks`, {
        method: "POST",
        headers,
        body: JSON.stringify({ verify: "token", allow_get: true, map: { status: "{{ status }}" } }),
      })).json()) as { hook_id: string; url: string; secret: string };
      expect((await fetch(`${created.url}?status=a`)).status).toBe(200);
      expect((await fetch(`${server.url}/hook/${created.hook_id}?token=${created.secret}&status=b`)).status).toBe(200);
      secret = created.secret;
    } finally {
      await server.stop();
    }
    const requests = server.logs.filter((line) => line.includes('"msg":"request"'));
    expect(requests.filter((line) => line.includes("/hook/"))).toHaveLength(2);
    expect(secret?.length).toBeGreaterThan(20);
    expect(server.logs.join("\n")).not.toContain(secret!);
  });
});
