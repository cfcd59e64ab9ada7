/**
 * Webhooks on the edge host: the built worker in workerd (miniflare) on the real Redis through the
 * Upstash-REST bridge, beside a Node replica on the same Redis and prefix. A hook made on one host
 * is delivered to on the other; both seal secrets under the same SECRETS_KEY.
 */
import { createHmac, randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Miniflare } from "miniflare";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { RunningServer } from "../runtime/node/server.js";
import { ioredisPorts } from "../runtime/stores/ioredis.js";
import { buildEdge, startEdgeWorker } from "./support/edge.js";
import { startInProcess } from "./support/server.js";
import { startUpstashBridge, type UpstashBridge } from "./support/upstash-bridge.js";

const BADGE = '<svg xmlns="http://www.w3.org/2000/svg"><text>build: {{ status }}</text></svg>';
const SECRETS_KEY = Buffer.alloc(32, 5).toString("base64");
const API_KEY = "edge-hooks-api-key";

describe("webhooks on the edge host", () => {
  const redisUrl = inject("redisUrl");
  const prefix = `edge-hooks-${randomUUID()}:`;
  let outdir: string;
  let bridge: UpstashBridge;
  let worker: Miniflare;
  let edge: string;
  let node: RunningServer;

  beforeAll(async () => {
    outdir = await mkdtemp(join(tmpdir(), "rsvg-edge-hooks-"));
    await Promise.all([
      startUpstashBridge(redisUrl).then((started) => (bridge = started)),
      startInProcess(ioredisPorts({ url: redisUrl, prefix }), { API_KEY, SECRETS_KEY }).then((started) => (node = started)),
      buildEdge(outdir),
    ]);
    ({ worker, origin: edge } = await startEdgeWorker(outdir, {
      UPSTASH_REDIS_REST_URL: bridge.url,
      UPSTASH_REDIS_REST_TOKEN: bridge.token,
      KEY_PREFIX: prefix,
      API_KEY,
      SECRETS_KEY,
    }));
  }, 60_000);

  afterAll(async () => {
    await Promise.all([worker?.dispose(), node?.shutdown(), bridge?.close()]);
    if (outdir) await rm(outdir, { recursive: true, force: true });
  });

  const post = (base: string, path: string, body: unknown) =>
    fetch(`${base}${path}`, { method: "POST", headers: { "Content-Type": "application/json", Authorization: `Bearer ${API_KEY}` }, body: JSON.stringify(body) });

  it("a hook made on one host verifies, applies and refuses replays on the other", async () => {
    expect((await post(node.url, "/api/session", { session_id: "edgy", template: BADGE, args: { status: "unknown" } })).status).toBe(201);
    const created = await post(edge, "/api/session/edgy/hooks", { verify: "github", map: { status: "{{ workflow_run.conclusion }}" } });
    expect(created.status).toBe(201);
    const { hook_id: hookId, secret } = (await created.json()) as { hook_id: string; secret: string };

    const body = JSON.stringify({ action: "completed", workflow_run: { status: "completed", conclusion: "success" } });
    const headers = {
      "Content-Type": "application/json",
      "X-GitHub-Event": "workflow_run",
      "X-GitHub-Delivery": randomUUID(),
      "X-Hub-Signature-256": `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`,
    };
    const delivered = await fetch(`${node.url}/hook/${hookId}`, { method: "POST", headers, body });
    expect(delivered.status).toBe(200);
    expect(await (await fetch(`${edge}/svg/edgy`)).text()).toContain("build: success");
    // The same delivery id at the edge: already applied.
    expect(await (await fetch(`${edge}/hook/${hookId}`, { method: "POST", headers, body })).json()).toEqual({ ok: true, duplicate: true });
    const forged = await fetch(`${edge}/hook/${hookId}`, { method: "POST", headers: { ...headers, "X-Hub-Signature-256": `sha256=${"0".repeat(64)}` }, body });
    expect(forged.status).toBe(401);

    const listed = (await (await fetch(`${edge}/api/session/edgy/hooks`, { headers: { Authorization: `Bearer ${API_KEY}` } })).json()) as { hooks: unknown[] };
    expect(listed.hooks).toHaveLength(1);
    const log = (await (await fetch(`${edge}/api/session/edgy/hooks/${hookId}/deliveries`, { headers: { Authorization: `Bearer ${API_KEY}` } })).json()) as {
      deliveries: Array<{ outcome: string }>;
    };
    expect(log.deliveries.map((entry) => entry.outcome)).toEqual(["invalid_signature", "duplicate", "applied"]);
  });
});
