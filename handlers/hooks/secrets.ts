import { hashToken, toBase64Url } from "../http/auth.js";
import type { HookScheme } from "./record.js";

/**
 * A hook's id and secret, and how the secret is kept. HMAC schemes (github, standard) and
 * gitlab's shared token need the secret itself to check a delivery, so it is stored as is, or
 * sealed with AES-GCM under SECRETS_KEY when the operator sets one; a `token` hook's credential is
 * only compared, so only its SHA-256 is stored, like a session's write token.
 */

export function toBase64(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

/** null when `text` is not base64 (standard alphabet, padding optional). */
export function fromBase64(text: string): Uint8Array<ArrayBuffer> | null {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.replace(/=+$/, "").length % 4 === 1) return null;
  try {
    return Uint8Array.from(atob(text), (char) => char.charCodeAt(0));
  } catch {
    return null;
  }
}

const random = (length: number) => crypto.getRandomValues(new Uint8Array(length));

/** 144 random bits, URL-safe: the id is part of the delivery URL, which senders show in their settings. */
export const newHookId = (): string => `hk_${toBase64Url(random(18))}`;
export const HOOK_ID = /^hk_[A-Za-z0-9_-]{24}$/;

/** Standard Webhooks secrets are `whsec_` + base64 of the key (the spec asks for 24 to 64 bytes; 32 here). */
export function newSecret(scheme: HookScheme): string {
  if (scheme === "standard") return `whsec_${toBase64(random(32))}`;
  return toBase64Url(random(32));
}

/** How a secret is stored: in the clear, sealed under SECRETS_KEY, or (token hooks) only its hash. */
export type StoredSecret = { plain: string } | { sealed: string } | { sha256: string };

/** SECRETS_KEY: base64 of exactly 32 bytes, an AES-256-GCM key. */
export async function importSecretsKey(base64: string): Promise<CryptoKey> {
  const raw = fromBase64(base64.trim());
  if (raw === null || raw.byteLength !== 32) throw new Error("expected base64 of 32 bytes (e.g. openssl rand -base64 32)");
  return crypto.subtle.importKey("raw", raw, "AES-GCM", false, ["encrypt", "decrypt"]);
}

const encoder = new TextEncoder();

export async function storeSecret(scheme: HookScheme, secret: string, key: CryptoKey | undefined): Promise<StoredSecret> {
  if (scheme === "token") return { sha256: await hashToken(secret) };
  if (!key) return { plain: secret };
  // A fresh 96-bit nonce per seal; the hook id is not bound in, rotation re-seals anyway.
  const iv = random(12);
  const sealed = new Uint8Array(await crypto.subtle.encrypt({ name: "AES-GCM", iv }, key, encoder.encode(secret)));
  const out = new Uint8Array(iv.byteLength + sealed.byteLength);
  out.set(iv);
  out.set(sealed, iv.byteLength);
  return { sealed: toBase64(out) };
}

/** The secret in the clear (HMAC and gitlab hooks); throws when it is sealed and the key is missing or another. */
export async function openSecret(stored: StoredSecret, key: CryptoKey | undefined): Promise<string> {
  if ("plain" in stored) return stored.plain;
  if ("sha256" in stored) throw new Error("a token hook's credential is stored hashed");
  if (!key) throw new Error("the hook's secret is sealed and SECRETS_KEY is not set");
  const bytes = fromBase64(stored.sealed);
  if (bytes === null || bytes.byteLength < 13) throw new Error("the hook's sealed secret is malformed");
  const plain = await crypto.subtle.decrypt({ name: "AES-GCM", iv: bytes.slice(0, 12) }, key, bytes.slice(12));
  return new TextDecoder().decode(plain);
}
