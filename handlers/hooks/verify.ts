import { concat } from "../bytes.js";
import { digestsEqual, hashToken } from "../http/auth.js";
import { AppError } from "../http/errors.js";
import type { HookRecord } from "./record.js";
import { fromBase64 } from "./secrets.js";

/**
 * Whether a delivery comes from the hook's sender, per scheme, on the raw bytes received and in
 * constant time: HMACs are checked with crypto.subtle.verify, shared tokens by comparing SHA-256
 * digests without an early exit. Returns the event name the filter sees and the id replays are
 * recognised by.
 */

export interface Delivery {
  method: string;
  url: URL;
  headers: Headers;
  body: Uint8Array<ArrayBuffer>;
  /** The credential in the path, `/hook/ID/SECRET` (token hooks). */
  pathToken: string | undefined;
}

export interface Verified {
  event: string | null;
  deliveryId: string | null;
}

/** How far a Standard Webhooks timestamp may be from this server's clock, either way (the spec's suggestion is 5 minutes). */
export const TIMESTAMP_TOLERANCE_SECONDS = 300;

const encoder = new TextEncoder();
const refused = (message: string) => new AppError("invalid_signature", message);

async function hmacKey(secret: Uint8Array<ArrayBuffer>): Promise<CryptoKey> {
  return crypto.subtle.importKey("raw", secret, { name: "HMAC", hash: "SHA-256" }, false, ["verify"]);
}

function fromHex(hex: string): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(hex.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return bytes;
}

/** Equal strings, compared as SHA-256 digests: constant time whatever the lengths. */
async function sameSecret(given: string, expectedDigest: string): Promise<boolean> {
  return digestsEqual(await hashToken(given), expectedDigest);
}

/** GitHub: `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the body>`, keyed with the secret as typed. */
async function github(delivery: Delivery, secret: string): Promise<Verified> {
  const header = delivery.headers.get("x-hub-signature-256");
  if (header === null) throw refused("missing X-Hub-Signature-256");
  const match = /^sha256=([0-9a-fA-F]{64})$/.exec(header.trim());
  if (!match) throw refused("X-Hub-Signature-256 must be sha256=<64 hex digits>");
  const ok = await crypto.subtle.verify("HMAC", await hmacKey(encoder.encode(secret)), fromHex(match[1]!), delivery.body);
  if (!ok) throw refused("X-Hub-Signature-256 does not match the body and the hook's secret");
  return { event: delivery.headers.get("x-github-event"), deliveryId: delivery.headers.get("x-github-delivery") };
}

/** GitLab: `X-Gitlab-Token` is the secret itself; retries since GitLab 17.4 repeat `Idempotency-Key`. */
async function gitlab(delivery: Delivery, secret: string): Promise<Verified> {
  const token = delivery.headers.get("x-gitlab-token");
  if (token === null) throw refused("missing X-Gitlab-Token");
  if (!(await sameSecret(token, await hashToken(secret)))) throw refused("X-Gitlab-Token is not the hook's secret");
  return { event: delivery.headers.get("x-gitlab-event"), deliveryId: delivery.headers.get("idempotency-key") };
}

/**
 * Standard Webhooks: `webhook-signature` holds space-separated `v1,<base64 HMAC-SHA256>` of
 * `<webhook-id>.<webhook-timestamp>.<body>`, keyed with the base64 after `whsec_`; a timestamp
 * further than the tolerance from now, either way, is refused before any HMAC is computed.
 */
async function standard(delivery: Delivery, secret: string, nowMs: number): Promise<Verified> {
  const id = delivery.headers.get("webhook-id");
  const timestamp = delivery.headers.get("webhook-timestamp");
  const signatures = delivery.headers.get("webhook-signature");
  if (id === null || timestamp === null || signatures === null) {
    throw refused("missing webhook-id, webhook-timestamp or webhook-signature");
  }
  if (!/^\d{1,12}$/.test(timestamp.trim())) throw refused("webhook-timestamp must be whole seconds since 1970");
  const skew = Math.abs(nowMs / 1000 - Number(timestamp));
  if (skew > TIMESTAMP_TOLERANCE_SECONDS) {
    throw new AppError("stale_timestamp", `webhook-timestamp is ${Math.round(skew)} s from this server's clock (tolerance ${TIMESTAMP_TOLERANCE_SECONDS} s)`);
  }
  const key = await hmacKey(fromBase64(secret.replace(/^whsec_/, "")) ?? new Uint8Array(0));
  const signed = concat([encoder.encode(`${id}.${timestamp}.`), delivery.body]);
  let ok = false;
  // Every v1 signature is tried (a sender rotating its secret sends one per key); no early exit.
  for (const entry of signatures.trim().split(/\s+/)) {
    const [version, value] = entry.split(",", 2);
    if (version !== "v1" || value === undefined) continue;
    const bytes = fromBase64(value);
    if (bytes !== null && (await crypto.subtle.verify("HMAC", key, bytes, signed))) ok = true;
  }
  if (!ok) throw refused("no v1 signature in webhook-signature matches the body and the hook's secret");
  return { event: null, deliveryId: id };
}

/** A URL credential: `/hook/ID/SECRET` or `?token=SECRET`, compared with the stored SHA-256. */
async function token(delivery: Delivery, digest: string): Promise<Verified> {
  const given = delivery.pathToken ?? delivery.url.searchParams.get("token");
  if (given === null || given === "") throw refused("missing the hook's token (in the path /hook/ID/TOKEN or ?token=)");
  if (!(await sameSecret(given, digest))) throw refused("the token is not the hook's");
  return { event: null, deliveryId: delivery.headers.get("idempotency-key") };
}

/** `secret`: the secret in the clear for github, gitlab and standard; for token hooks its stored SHA-256. */
export async function verifyDelivery(hook: HookRecord, secret: string, delivery: Delivery, nowMs: number): Promise<Verified> {
  switch (hook.verify) {
    case "github":
      return github(delivery, secret);
    case "gitlab":
      return gitlab(delivery, secret);
    case "standard":
      return standard(delivery, secret, nowMs);
    case "token":
      return token(delivery, secret);
  }
}
