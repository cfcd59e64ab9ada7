import { AppError } from "../http/errors.js";
import type { Limits } from "../options.js";

/** Query options of GET /stream/ID, named as in the original realtime-svg. */
export interface StreamOptions {
  keepAliveMs: number;
  doubleFrame: boolean;
  delayedStartMs: number;
  /** Answer with one plain SVG instead of a stream, as image proxies and link unfurlers need. */
  asBot: boolean;
}

const invalid = (message: string) => new AppError("invalid_query", message);

function flag(query: URLSearchParams, name: string): boolean {
  const value = query.get(name);
  if (value === null) return false;
  if (["", "1", "true", "yes", "on"].includes(value.toLowerCase())) return true;
  if (["0", "false", "no", "off"].includes(value.toLowerCase())) return false;
  throw invalid(`${name} must be true or false`);
}

function milliseconds(query: URLSearchParams, name: string, fallback: number, min: number, max: number) {
  const value = query.get(name);
  if (value === null || value === "") return fallback;
  const ms = Number(value);
  if (!Number.isInteger(ms) || ms < min || ms > max) {
    throw invalid(`${name} must be a whole number of milliseconds from ${min} to ${max}`);
  }
  return ms;
}

/** Link unfurlers and image proxies that cannot hold a stream open; they get a snapshot. */
const BOT_AGENTS = /github-camo|camo-|slackbot|twitterbot|facebookexternalhit|discordbot|telegrambot|linkedinbot|googleimageproxy/i;

/** `keep_alive=MS`, of /stream and /events alike. */
export function keepAliveOption(query: URLSearchParams, limits: Limits): number {
  return milliseconds(query, "keep_alive", limits.keepAliveMs, limits.minKeepAliveMs, limits.maxKeepAliveMs);
}

export function parseStreamOptions(url: URL, request: Request, limits: Limits): StreamOptions {
  const query = url.searchParams;
  return {
    keepAliveMs: keepAliveOption(query, limits),
    doubleFrame: flag(query, "double_frame"),
    delayedStartMs: milliseconds(query, "delayed_start", 0, 0, limits.maxDelayedStartMs),
    asBot: flag(query, "as_bot") || BOT_AGENTS.test(request.headers.get("user-agent") ?? ""),
  };
}

/** A browser opening the stream URL as a page (Chromium refuses multipart documents). */
export function isTopLevelNavigation(request: Request): boolean {
  const dest = request.headers.get("sec-fetch-dest");
  if (dest !== null) return dest === "document";
  return /^text\/html/i.test(request.headers.get("accept") ?? "");
}
