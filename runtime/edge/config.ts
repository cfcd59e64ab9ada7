/**
 * The edge entry's settings, read from its env bindings (wrangler `vars` and secrets).
 * The settings both hosts share (API_KEY, KEY_PREFIX, PUBLIC_URL and every limit) go through the
 * Node host's own table and parsers, so a value means the same and fails the same way on both;
 * only the Upstash connection is edge-specific.
 */
import { DEFAULT_LIMITS, type Limits } from "../../handlers/options.js";
import { ConfigError, SETTINGS, loadConfig } from "../config.js";

export interface EdgeConfig {
  upstashUrl: string;
  upstashToken: string;
  keyPrefix: string;
  apiKey?: string;
  publicUrl?: string;
  /** Silence after which a subscription is probed with a heartbeat (see the Upstash store). */
  heartbeatMs?: number;
  limits: Limits;
}

/** Settings of the Node host that mean nothing on an edge runtime (sockets, processes, logs). */
const NODE_ONLY = new Set([
  "PORT",
  "HOST",
  "REDIS_URL",
  "REDIS_HOST",
  "REDIS_PORT",
  "REDIS_PASSWORD",
  "LOG_LEVEL",
  "SHUTDOWN_GRACE_MS",
  "METRICS_TOKEN",
]);

/** The shared settings the edge entry reads, in the Node host's order (for the README). */
export const EDGE_SETTINGS = SETTINGS.filter((setting) => !NODE_ONLY.has(setting.env)).map((s) => s.env);

/** Throws ConfigError naming the binding that is missing or invalid. */
export function loadEdgeConfig(env: Record<string, unknown>): EdgeConfig {
  const bindings: Record<string, string> = {};
  for (const name of EDGE_SETTINGS) {
    const value = env[name];
    if (typeof value === "string") bindings[name] = value;
  }
  const shared = loadConfig(bindings);
  return {
    upstashUrl: upstashUrl(env["UPSTASH_REDIS_REST_URL"]),
    upstashToken: required(env, "UPSTASH_REDIS_REST_TOKEN"),
    keyPrefix: shared.keyPrefix,
    apiKey: shared.apiKey,
    publicUrl: shared.publicUrl,
    heartbeatMs: heartbeatMs(env["UPSTASH_HEARTBEAT_MS"]),
    limits: { ...DEFAULT_LIMITS, ...shared.limits },
  };
}

/** Edge-only: on Cloudflare every heartbeat is a subrequest of the viewer's request, so plans
 *  with a low subrequest limit may want them rarer (README.md). */
function heartbeatMs(value: unknown): number | undefined {
  if (value === undefined || value === "") return undefined;
  const ms = Number(value);
  if (typeof value !== "string" || !/^\d+$/.test(value.trim()) || ms < 1_000 || ms > 3_600_000) {
    throw new ConfigError(
      `invalid UPSTASH_HEARTBEAT_MS=${JSON.stringify(value)}: expected a whole number from 1000 to 3600000`,
    );
  }
  return ms;
}

function required(env: Record<string, unknown>, name: string): string {
  const value = env[name];
  if (typeof value !== "string" || value === "") throw new ConfigError(`missing ${name}`);
  return value;
}

function upstashUrl(value: unknown): string {
  if (typeof value !== "string" || value === "") throw new ConfigError("missing UPSTASH_REDIS_REST_URL");
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(`invalid UPSTASH_REDIS_REST_URL=${JSON.stringify(value)}: expected a URL`);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new ConfigError(`invalid UPSTASH_REDIS_REST_URL=${JSON.stringify(value)}: expected an https URL`);
  }
  return value;
}
