/**
 * What every page's script shares: the page data the server embedded (#page-data: language,
 * messages, server facts), the language switch, the remembered write tokens, the API calls and
 * the copy button.
 */
import { useState } from "preact/hooks";
import type { Language, MessageKey, Messages } from "../../handlers/pages/messages.js";

export interface PageData {
  lang: Language;
  m: Messages;
  [key: string]: unknown;
}

export const data = JSON.parse(document.getElementById("page-data")?.textContent ?? "{}") as PageData;

/** A message, with its `{name}` slots filled. */
export function t(key: MessageKey, values: Record<string, string | number> = {}): string {
  return (data.m?.[key] ?? key).replace(/\{(\w+)\}/g, (slot, name: string) => (name in values ? String(values[name]) : slot));
}

/** This page's nonce: CodeMirror's <style> elements need it (the page's CSP allows styles by nonce). */
export const nonce = (document.querySelector("script[nonce]") as HTMLScriptElement | null)?.nonce ?? "";

/** The switch sets the cookie the server reads first (handlers/pages/language.ts), then shows the page again. */
export function languageSwitch(): void {
  const select = document.getElementById("language") as HTMLSelectElement | null;
  select?.addEventListener("change", () => {
    document.cookie = `rsvg_lang=${select.value}; path=/; max-age=31536000; samesite=lax`;
    location.reload();
  });
}

// ---- remembered write tokens -------------------------------------------------------------

/** localStorage key of the remembered tokens: `{"version":1,"sessions":{"<id>":{"token":"rsvg_…","saved_at":"<ISO>"}}}`. */
export const TOKENS_KEY = "realtime-svg:tokens";

export interface Remembered {
  token: string;
  saved_at: string;
}

export function rememberedTokens(): Record<string, Remembered> {
  try {
    const stored = JSON.parse(localStorage.getItem(TOKENS_KEY) ?? "null") as { sessions?: Record<string, Remembered> } | null;
    const sessions = stored?.sessions;
    if (!sessions || typeof sessions !== "object") return {};
    return Object.fromEntries(Object.entries(sessions).filter(([, entry]) => typeof entry?.token === "string"));
  } catch {
    return {};
  }
}

function storeTokens(sessions: Record<string, Remembered>): void {
  localStorage.setItem(TOKENS_KEY, JSON.stringify({ version: 1, sessions }));
}

export function rememberToken(id: string, token: string): void {
  storeTokens({ ...rememberedTokens(), [id]: { token, saved_at: new Date().toISOString() } });
}

export function forgetToken(id: string): void {
  const sessions = rememberedTokens();
  delete sessions[id];
  storeTokens(sessions);
}

/** Adds tokens from an exported file (or a plain `{"id": "token"}` map); returns how many. */
export function importTokens(text: string): number {
  const parsed = JSON.parse(text) as unknown;
  const source = (parsed && typeof parsed === "object" && "sessions" in parsed ? (parsed as { sessions: unknown }).sessions : parsed) as
    | Record<string, unknown>
    | null;
  if (!source || typeof source !== "object") return 0;
  const sessions = rememberedTokens();
  let count = 0;
  for (const [id, entry] of Object.entries(source)) {
    const token = typeof entry === "string" ? entry : (entry as Remembered | null)?.token;
    if (typeof token !== "string" || !/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(id)) continue;
    sessions[id] = { token, saved_at: (entry as Remembered | null)?.saved_at ?? new Date().toISOString() };
    count++;
  }
  storeTokens(sessions);
  return count;
}

// ---- the API -----------------------------------------------------------------------------

/** An error answer of the API (handlers/http/respond.ts): `error` is the message; template errors add where. */
export interface ApiError {
  code: string;
  error: string;
  line?: number;
  column?: number;
}

export type ApiResult<T> = { ok: true; status: number; value: T } | { ok: false; status: number; error: ApiError };

export async function api<T>(method: string, path: string, body?: unknown, token?: string): Promise<ApiResult<T>> {
  const headers: Record<string, string> = {};
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (token) headers.Authorization = `Bearer ${token}`;
  try {
    const response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await response.text();
    const value = text ? (JSON.parse(text) as unknown) : undefined;
    if (response.ok) return { ok: true, status: response.status, value: value as T };
    return { ok: false, status: response.status, error: (value as ApiError) ?? { code: "http", error: String(response.status) } };
  } catch (error) {
    return { ok: false, status: 0, error: { code: "network", error: (error as Error).message } };
  }
}

// ---- copy buttons ------------------------------------------------------------------------

async function copyText(text: string): Promise<void> {
  try {
    // A browser that asks for permission may never answer: after a second, copy the old way.
    await Promise.race([navigator.clipboard.writeText(text), new Promise((_, reject) => setTimeout(reject, 1000))]);
  } catch {
    // No clipboard permission (an insecure origin, a headless browser): the old way still copies.
    const area = document.createElement("textarea");
    area.value = text;
    document.body.append(area);
    area.select();
    document.execCommand("copy");
    area.remove();
  }
}

/** "Copy <what>", and a visible "Copied" beside it for two seconds. */
export function CopyButton({ text, what, name }: { text: string; what: string; name?: string }) {
  const [copied, setCopied] = useState(false);
  return (
    <span class="copy">
      <button
        type="button"
        onClick={async () => {
          await copyText(text);
          setCopied(true);
          setTimeout(() => setCopied(false), 2000);
        }}
      >
        {name ?? t("copy_what", { what })}
      </button>
      <span class="copied" role="status">
        {copied ? t("copied") : ""}
      </span>
    </span>
  );
}

export const formatTime = (iso: string | null | undefined): string =>
  iso ? new Date(iso).toLocaleString(data.lang === "ko" ? "ko-KR" : "en-GB", { dateStyle: "medium", timeStyle: "short" }) : t("never");

/** A suggested session id: a word and random base-36 characters. */
export function suggestId(prefix = "image"): string {
  const bytes = crypto.getRandomValues(new Uint8Array(6));
  return `${prefix}-${Array.from(bytes, (b) => (b % 36).toString(36)).join("")}`;
}
