import type { Sha256Hex } from "../ports/digest.js";
import { AppError } from "./errors.js";

const encoder = new TextEncoder();

function toHex(bytes: ArrayBuffer): string {
  return Array.from(new Uint8Array(bytes), (byte) => byte.toString(16).padStart(2, "0")).join("");
}

/** Base64url without padding (RFC 4648 §5): tokens and ids that sit in URLs. */
export function toBase64Url(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** A fresh write token: 256 random bits, URL-safe. Shown once; only its hash is stored. */
export function newWriteToken(): string {
  return `rsvg_${toBase64Url(crypto.getRandomValues(new Uint8Array(32)))}`;
}

/** SHA-256 hex of a token: through the host's synchronous digest when it offers one (ports/digest.ts), else Web Crypto. */
export async function hashToken(token: string, sha256?: Sha256Hex): Promise<string> {
  if (sha256) return sha256(token);
  return toHex(await crypto.subtle.digest("SHA-256", encoder.encode(token)));
}

/** Compares equal-length hex digests without an early exit, so timing reveals nothing. */
export function digestsEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let difference = 0;
  for (let i = 0; i < a.length; i++) difference |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return difference === 0;
}

export function bearerToken(request: Request): string | null {
  const header = request.headers.get("authorization");
  if (!header) return null;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match ? match[1]! : "";
}

const unauthorized = (message: string) =>
  new AppError("unauthorized", message, { "WWW-Authenticate": 'Bearer realm="realtime-svg"' });
const forbidden = (message: string) => new AppError("forbidden", message);

/**
 * Checks the request's bearer token against the accepted digests (a session's write token
 * and/or the server API key): 401 when none is presented, 403 when it matches none. `what` names
 * what the token would grant in the 403; `sha256` is the host's digest (AppContext.sha256).
 */
export async function authorize(
  request: Request,
  accepted: Array<string | undefined>,
  { what = "this session", sha256 }: { what?: string; sha256?: Sha256Hex | undefined } = {},
): Promise<void> {
  const token = bearerToken(request);
  if (token === null) throw unauthorized("missing Authorization: Bearer <token>");
  if (token === "") throw unauthorized("Authorization header must be 'Bearer <token>'");
  // The host's synchronous digest directly: no promise on every write.
  const digest = sha256 ? sha256(token) : await hashToken(token);
  let ok = false;
  for (const candidate of accepted) if (candidate && digestsEqual(digest, candidate)) ok = true;
  if (!ok) throw forbidden(`the token does not grant access to ${what}`);
}
