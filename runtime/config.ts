/**
 * The settings of both hosts (the Node host and the edge worker): one table of names, hosts,
 * defaults, parsers and help, which --help and the README's Configuration table list. Portable:
 * no Node import.
 */
import { DEFAULT_LIMITS, exceeds, parseLifetime, type Lifetime, type Limits } from "../handlers/index.js";
import { DEFAULT_PNG_TIMEOUT_MS, DEFAULT_RENDER_QUEUE, DEFAULT_RENDER_WORKER_MEMORY_BYTES } from "./render-defaults.js";
import { DEFAULT_MEMORY_MAX_BYTES, DEFAULT_MEMORY_MAX_SESSIONS } from "./stores/memory-limits.js";

/** The Node host's settings: from the environment, overridden by --flags of the same name. */
export interface Config {
  port: number;
  host: string;
  redisUrl?: string;
  redisHost?: string;
  redisPort: number;
  redisPassword?: string;
  /** Sentinel topology: the sentinels' addresses, the monitored primary's name, their password. */
  redisSentinels?: RedisAddress[];
  redisSentinelMaster?: string;
  redisSentinelPassword?: string;
  /** Cluster topology: seed nodes (the client discovers the rest). */
  redisClusterNodes?: RedisAddress[];
  /** TLS to the addresses of REDIS_HOST, REDIS_SENTINELS or REDIS_CLUSTER_NODES (a URL says rediss://). */
  redisTls: boolean;
  /** PEM file of the CA that signed the Redis servers' certificates (unset: the system's CAs). */
  redisCaFile?: string;
  /** Replicas a write must reach (WAIT) before it is answered; 0: answered once the primary has it. */
  redisWaitReplicas: number;
  /** WAIT's timeout: a write's replicas must confirm within it, else 503 write_unconfirmed. */
  redisWaitTimeoutMs: number;
  logLevel: string;
  apiKey?: string;
  /** base64 of 32 bytes: webhook secrets are stored sealed under it (AES-256-GCM). */
  secretsKey?: string;
  metricsToken?: string;
  keyPrefix: string;
  publicUrl?: string;
  shutdownGraceMs: number;
  /** After SIGTERM, how long open multipart streams keep receiving frames before they end (0: no drain). */
  drainSeconds: number;
  /** Most connections the HTTP server holds (unset: MAX_STREAMS + 1000, within the open-files limit; runtime/node/connection-budget.ts). */
  maxConnections?: number;
  /** Header a trusted proxy sets to the client's address, lower-case; unset: the connection's peer is the client. */
  trustedProxyHeader?: string;
  /** Which entry of that header is the client, counting from the right (1: the right-most). */
  trustedProxyHops: number;
  /** Origins whose pages may write through the API, or "*"; unset: none. */
  corsOrigins?: "*" | string[];
  /** Processes rendering html and PNG (runtime/node/render-pool.ts); unset: the CPUs this process may use. */
  renderWorkers?: number;
  /** Each render process's V8 heap ceiling, and the wasm memory it may keep after a PNG. */
  renderWorkerMemoryBytes: number;
  /** Renders that may wait for a render process (503 render_busy beyond). */
  renderQueue: number;
  /** Hard deadline of one PNG render, ms. */
  pngTimeoutMs: number;
  /** The memory store's caps (no Redis configured): bytes of records, and sessions. */
  memoryMaxBytes: number;
  memoryMaxSessions: number;
  limits: Limits;
}

export interface RedisAddress {
  host: string;
  port: number;
}

/** The edge worker's settings, from its env bindings (wrangler `vars` and secrets); runtime/edge/config.ts. */
export interface EdgeConfig {
  upstashUrl: string;
  upstashToken: string;
  keyPrefix: string;
  apiKey?: string;
  secretsKey?: string;
  publicUrl?: string;
  /** Silence after which a subscription is probed with a heartbeat (unset: the Upstash store's default). */
  heartbeatMs?: number;
  /** Origins whose pages may write through the API, or "*"; unset: none. */
  corsOrigins?: "*" | string[];
  limits: Limits;
}

/** Where a setting applies, and what each host's loader builds. */
export type Host = "node" | "edge";
export interface HostConfigs {
  node: Config;
  edge: EdgeConfig;
}

export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

/**
 * One row of the table. The value's type is hidden behind `apply`, which parses a raw string and
 * stores the result in one step, so a row cannot hand a value to a field of another type.
 * `C` is what `apply` writes into: the config of the row's one host, or for a row of both hosts
 * `Config | EdgeConfig` (only the fields both have).
 */
export interface Setting<C> {
  readonly env: string;
  /** The Node host's flag (`--port` for PORT); undefined for an edge-only setting. */
  readonly flag: string | undefined;
  readonly hosts: readonly Host[];
  /** The --help line's text (the README's table words each setting itself). */
  readonly describe: string;
  /** The default as --help and the README show it; the loaders start from the same values (`defaultsFor`). */
  readonly fallback?: string;
  /** Unset or empty is an error: `missing NAME`. */
  readonly required?: boolean;
  /** An invalid value's error shows `(hidden)` instead of the value. */
  readonly secret?: boolean;
  /** Parses `raw` and stores it; throws ConfigError `invalid NAME="raw": why`. */
  readonly apply: (config: C, raw: string) => void;
}

/** A row of SETTINGS: a setting of one host, or of both (then it applies to either host's config). */
export type AnySetting = { [H in Host]: Setting<HostConfigs[H]> }[Host];

export interface SettingSpec<T, H extends Host> {
  env: string;
  hosts: readonly H[];
  describe: string;
  fallback?: string;
  required?: boolean;
  secret?: boolean;
  parse: (raw: string) => T;
  /** Stores the parsed value; `config` has only the fields every host in `hosts` has. */
  assign: (config: HostConfigs[H], value: T) => void;
}

const flagName = (env: string) => `--${env.toLowerCase().replace(/_/g, "-")}`;

/** A row of the table, typed end to end: `assign` takes exactly what `parse` returns. */
export function setting<T, H extends Host>(spec: SettingSpec<T, H>): Setting<HostConfigs[H]> {
  const { parse, assign, ...row } = spec;
  return {
    ...row,
    flag: spec.hosts.some((host) => host === "node") ? flagName(spec.env) : undefined,
    apply: (config, raw) => {
      let value: T;
      try {
        value = parse(raw);
      } catch (error) {
        const shown = spec.secret ? "(hidden)" : JSON.stringify(raw);
        throw new ConfigError(`invalid ${spec.env}=${shown}: ${error instanceof Error ? error.message : String(error)}`);
      }
      assign(config, value);
    },
  };
}

type Parse<T> = (raw: string) => T;

const integer = (min: number, max: number): Parse<number> => (raw) => {
  const value = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || value < min || value > max) {
    throw new Error(`expected a whole number from ${min} to ${max}`);
  }
  return value;
};
const text: Parse<string> = (raw) => raw;
const lifetime: Parse<Lifetime> = (raw) => {
  const parsed = parseLifetime(raw.trim());
  if (parsed === null) throw new Error('expected seconds, a duration such as "90s", "15m", "2h", "1d", or never');
  return parsed;
};
const url = (protocols: string[], kind = `a ${protocols.join(" or ")}`): Parse<string> => (raw) => {
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    throw new Error("expected a URL");
  }
  if (!protocols.includes(parsed.protocol)) throw new Error(`expected ${kind} URL`);
  return raw;
};
const oneOf = (values: string[]): Parse<string> => (raw) => {
  if (!values.includes(raw)) throw new Error(`expected one of ${values.join(", ")}`);
  return raw;
};
/** An address to bind: an IP literal or a host name; anything else would only fail at listen. */
const bindAddress: Parse<string> = (raw) => {
  const ipv6 = raw.includes(":") && /^[0-9A-Fa-f:.]+(%[\w.-]+)?$/.test(raw);
  const name = /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$/.test(raw);
  if (!ipv6 && !name) throw new Error("expected an IP address or a host name, e.g. 0.0.0.0, ::, localhost");
  return raw;
};
/** `*`, or origins as browsers send them (scheme://host[:port]), comma-separated. */
const origins: Parse<"*" | string[]> = (raw) => {
  if (raw.trim() === "*") return "*";
  return raw
    .split(",")
    .map((entry) => entry.trim())
    .filter((entry) => entry !== "")
    .map((entry) => {
      let parsed: URL | undefined;
      try {
        parsed = new URL(entry);
      } catch {
        // reported below
      }
      if (!parsed || !["http:", "https:"].includes(parsed.protocol) || parsed.origin !== entry.replace(/\/$/, "")) {
        throw new Error(`${JSON.stringify(entry)} is not an origin such as https://app.example.com (or use *)`);
      }
      return parsed.origin;
    });
};
/** An HTTP header name (RFC 9110 token), stored lower-case. */
const headerName: Parse<string> = (raw) => {
  if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(raw)) throw new Error("expected a header name such as x-forwarded-for");
  return raw.toLowerCase();
};
/** SECRETS_KEY: empty (unset), or base64 of exactly 32 bytes; a key of another size would fail only at the first webhook. */
const aesKey: Parse<string> = (raw) => {
  const value = raw.trim();
  if (value === "") return "";
  let size = -1;
  if (/^[A-Za-z0-9+/]+={0,2}$/.test(value)) {
    try {
      size = atob(value).length;
    } catch {
      // reported below
    }
  }
  if (size !== 32) throw new Error("expected base64 of 32 bytes, e.g. the output of openssl rand -base64 32");
  return value;
};
/** `host:port,…` (an IPv6 host in brackets: `[::1]:26379`); at least one. */
const addresses: Parse<RedisAddress[]> = (raw) => {
  const entries = raw.split(",").map((entry) => entry.trim()).filter((entry) => entry !== "");
  if (entries.length === 0) throw new Error("expected host:port,host:port,…");
  return entries.map((entry) => {
    const match = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(entry);
    const port = Number(match?.[3]);
    if (!match || port < 1 || port > 65535) throw new Error(`${JSON.stringify(entry)} is not host:port (IPv6 as [::1]:port)`);
    return { host: match[1] ?? match[2] ?? "", port };
  });
};
const flag: Parse<boolean> = (raw) => {
  if (raw !== "true" && raw !== "false") throw new Error("expected true or false");
  return raw === "true";
};
const prefix: Parse<string> = (raw) => {
  if (!/^[A-Za-z0-9._:-]{0,64}$/.test(raw)) throw new Error("expected up to 64 characters of A-Z a-z 0-9 . _ : -");
  return raw;
};

/**
 * DRAIN_SECONDS' default. A rolling update does not wait for terminating pods, so a long drain
 * costs only the old pod's resources while its image streams, which cannot reconnect, keep
 * updating; and it stays under Knative's longest request timeout (600 s), which ends every stream
 * anyway (README "Configuration", docs/ARCHITECTURE.md "Draining").
 */
const DEFAULT_DRAIN_SECONDS = 300;

const limit = (key: keyof Limits) => (config: { limits: Limits }, value: number) => {
  config.limits[key] = value;
};
const KIB = 1024;
const MAX_BYTES = 64 * 1024 * KIB;
const NODE = ["node"] as const;
const EDGE = ["edge"] as const;
const BOTH = ["node", "edge"] as const;

/** Every setting of both hosts, in the order --help and the README list them. */
export const SETTINGS: readonly AnySetting[] = [
  setting({ env: "PORT", hosts: NODE, describe: "TCP port to listen on", fallback: "8080", parse: integer(0, 65535), assign: (c, v) => (c.port = v) }),
  setting({ env: "HOST", hosts: NODE, describe: "Address to bind", fallback: "0.0.0.0", parse: bindAddress, assign: (c, v) => (c.host = v) }),
  setting({ env: "REDIS_URL", hosts: NODE, describe: "Redis URL (redis:// or rediss://); unset with no REDIS_HOST: in-memory store", secret: true, parse: url(["redis:", "rediss:"]), assign: (c, v) => (c.redisUrl = v) }),
  setting({ env: "REDIS_HOST", hosts: NODE, describe: "Redis host (alternative to REDIS_URL, as a ConfigMap provides it)", parse: text, assign: (c, v) => (c.redisHost = v) }),
  setting({ env: "REDIS_PORT", hosts: NODE, describe: "Redis port, with REDIS_HOST", fallback: "6379", parse: integer(1, 65535), assign: (c, v) => (c.redisPort = v) }),
  setting({ env: "REDIS_PASSWORD", hosts: NODE, describe: "Redis password, with REDIS_HOST (as a Secret provides it)", secret: true, parse: text, assign: (c, v) => (c.redisPassword = v) }),
  setting({ env: "REDIS_SENTINELS", hosts: NODE, describe: "Redis Sentinel: the sentinels as host:port,… (instead of REDIS_URL / REDIS_HOST); with REDIS_SENTINEL_MASTER", parse: addresses, assign: (c, v) => (c.redisSentinels = v) }),
  setting({ env: "REDIS_SENTINEL_MASTER", hosts: NODE, describe: "Redis Sentinel: the name the sentinels monitor the primary under", parse: text, assign: (c, v) => (c.redisSentinelMaster = v) }),
  setting({ env: "REDIS_SENTINEL_PASSWORD", hosts: NODE, describe: "Redis Sentinel: the sentinels' own password (REDIS_PASSWORD is the data nodes')", secret: true, parse: text, assign: (c, v) => (c.redisSentinelPassword = v) }),
  setting({ env: "REDIS_CLUSTER_NODES", hosts: NODE, describe: "Redis Cluster: some of its nodes as host:port,… (instead of REDIS_URL / REDIS_HOST); password: REDIS_PASSWORD", parse: addresses, assign: (c, v) => (c.redisClusterNodes = v) }),
  setting({ env: "REDIS_TLS", hosts: NODE, describe: "true: TLS to REDIS_HOST, REDIS_SENTINELS or REDIS_CLUSTER_NODES (a URL says rediss:// instead)", fallback: "false", parse: flag, assign: (c, v) => (c.redisTls = v) }),
  setting({ env: "REDIS_CA_FILE", hosts: NODE, describe: "PEM file of the CA of the Redis servers' certificates, with TLS (unset: the system's CAs)", parse: text, assign: (c, v) => (c.redisCaFile = v) }),
  setting({ env: "REDIS_WAIT_REPLICAS", hosts: NODE, describe: "Replicas a change must reach before it is answered (WAIT after each write; 503 write_unconfirmed when fewer confirm in time); 0: the primary's word, and a write answered just before a primary fails can be lost", fallback: "0", parse: integer(0, 16), assign: (c, v) => (c.redisWaitReplicas = v) }),
  setting({ env: "REDIS_WAIT_TIMEOUT_MS", hosts: NODE, describe: "With REDIS_WAIT_REPLICAS: how long a write waits for the replicas' confirmation", fallback: "500", parse: integer(1, 1500), assign: (c, v) => (c.redisWaitTimeoutMs = v) }),
  setting({ env: "MEMORY_MAX_BYTES", hosts: NODE, describe: "Memory store: most bytes of records (their strings' length x 2); 507 store_full beyond", fallback: String(DEFAULT_MEMORY_MAX_BYTES), parse: integer(KIB, 1024 * MAX_BYTES), assign: (c, v) => (c.memoryMaxBytes = v) }),
  setting({ env: "MEMORY_MAX_SESSIONS", hosts: NODE, describe: "Memory store: most sessions; 507 store_full beyond", fallback: String(DEFAULT_MEMORY_MAX_SESSIONS), parse: integer(1, 100_000_000), assign: (c, v) => (c.memoryMaxSessions = v) }),
  setting({ env: "UPSTASH_REDIS_REST_URL", hosts: EDGE, describe: "Upstash REST URL of the database, https://…", required: true, parse: url(["https:", "http:"], "an https"), assign: (c, v) => (c.upstashUrl = v) }),
  setting({ env: "UPSTASH_REDIS_REST_TOKEN", hosts: EDGE, describe: "Upstash REST token, the full-access one", required: true, secret: true, parse: text, assign: (c, v) => (c.upstashToken = v) }),
  setting({ env: "UPSTASH_HEARTBEAT_MS", hosts: EDGE, describe: "Silence after which a subscription is probed with a heartbeat (unset: 15000)", parse: integer(1_000, 3_600_000), assign: (c, v) => (c.heartbeatMs = v) }),
  setting({ env: "KEY_PREFIX", hosts: BOTH, describe: "Prefix of every Redis key and channel", fallback: "rsvg:", parse: prefix, assign: (c, v) => (c.keyPrefix = v) }),
  setting({ env: "API_KEY", hosts: BOTH, describe: "Server API key: needed to create sessions, may write any session", secret: true, parse: text, assign: (c, v) => (c.apiKey = v || undefined) }),
  setting({ env: "SECRETS_KEY", hosts: BOTH, describe: "base64 of 32 random bytes (openssl rand -base64 32): webhook secrets are stored encrypted under it (AES-256-GCM); unset: stored as is", secret: true, parse: aesKey, assign: (c, v) => (c.secretsKey = v || undefined) }),
  setting({ env: "METRICS_TOKEN", hosts: NODE, describe: "When set, GET /metrics needs Authorization: Bearer <token>", secret: true, parse: text, assign: (c, v) => (c.metricsToken = v || undefined) }),
  setting({ env: "PUBLIC_URL", hosts: BOTH, describe: "Base URL for links in API responses (default: the request's origin)", parse: url(["http:", "https:"]), assign: (c, v) => (c.publicUrl = v) }),
  setting({ env: "LOG_LEVEL", hosts: NODE, describe: "fatal, error, warn, info, debug, trace or silent", fallback: "info", parse: oneOf(["fatal", "error", "warn", "info", "debug", "trace", "silent"]), assign: (c, v) => (c.logLevel = v) }),
  setting({ env: "SHUTDOWN_GRACE_MS", hosts: NODE, describe: "Longest wait for connections to close after SIGTERM", fallback: "10000", parse: integer(0, 600_000), assign: (c, v) => (c.shutdownGraceMs = v) }),
  setting({ env: "DRAIN_SECONDS", hosts: NODE, describe: "After SIGTERM: seconds open image streams keep receiving frames before they end (0: none); then SHUTDOWN_GRACE_MS", fallback: String(DEFAULT_DRAIN_SECONDS), parse: integer(0, 3_600), assign: (c, v) => (c.drainSeconds = v) }),
  setting({ env: "MAX_CONNECTIONS", hosts: NODE, describe: "Most open connections; more are closed on arrival (unset: MAX_STREAMS + 1000, at most the open-files limit - 128)", parse: integer(128, 10_000_000), assign: (c, v) => (c.maxConnections = v) }),
  setting({ env: "MAX_STREAMS", hosts: NODE, describe: "Most open streams in this process (503 too_many_streams beyond)", fallback: String(DEFAULT_LIMITS.maxStreams), parse: integer(1, 10_000_000), assign: limit("maxStreams") }),
  setting({ env: "MAX_STREAMS_PER_CLIENT", hosts: NODE, describe: "Most open streams per client address, 0 for no cap (503 too_many_streams beyond)", fallback: String(DEFAULT_LIMITS.maxStreamsPerClient), parse: integer(0, 10_000_000), assign: limit("maxStreamsPerClient") }),
  setting({ env: "MAX_EVENT_IDS", hosts: BOTH, describe: "Most sessions one GET /events?ids=... stream may carry (400 invalid_query beyond)", fallback: String(DEFAULT_LIMITS.maxEventIds), parse: integer(1, 64), assign: limit("maxEventIds") }),
  setting({ env: "MAX_PREVIEWS", hosts: BOTH, describe: "Most POST /api/preview renders at once in this process (edge: per isolate); 503 previews_busy beyond", fallback: String(DEFAULT_LIMITS.maxPreviews), parse: integer(1, 100_000), assign: limit("maxPreviews") }),
  setting({ env: "MAX_PREVIEWS_PER_CLIENT", hosts: NODE, describe: "Most POST /api/preview renders at once per client address, 0 for no cap (429 too_many_previews beyond)", fallback: String(DEFAULT_LIMITS.maxPreviewsPerClient), parse: integer(0, 100_000), assign: limit("maxPreviewsPerClient") }),
  setting({ env: "TRUSTED_PROXY_HEADER", hosts: NODE, describe: "Header the proxy in front sets to the client's address, e.g. x-forwarded-for (unset: never read)", parse: headerName, assign: (c, v) => (c.trustedProxyHeader = v) }),
  setting({ env: "TRUSTED_PROXY_HOPS", hosts: NODE, describe: "Which entry of TRUSTED_PROXY_HEADER is the client, counting from the right", fallback: "1", parse: integer(1, 64), assign: (c, v) => (c.trustedProxyHops = v) }),
  setting({ env: "CORS_ORIGINS", hosts: BOTH, describe: "Origins whose pages may write through the API, comma-separated, or * (reads: any origin)", parse: origins, assign: (c, v) => (c.corsOrigins = v) }),
  setting({ env: "MAX_HOOKS_PER_SESSION", hosts: BOTH, describe: "Most webhooks one session may have (409 too_many_hooks beyond)", fallback: String(DEFAULT_LIMITS.maxHooksPerSession), parse: integer(0, 1_000), assign: limit("maxHooksPerSession") }),
  setting({ env: "MAX_BODY_BYTES", hosts: BOTH, describe: "Largest request body (413 beyond)", fallback: String(DEFAULT_LIMITS.maxBodyBytes), parse: integer(KIB, MAX_BYTES), assign: limit("maxBodyBytes") }),
  setting({ env: "BODY_TIMEOUT_MS", hosts: BOTH, describe: "Time for a request's whole body to arrive (408 beyond)", fallback: String(DEFAULT_LIMITS.bodyTimeoutMs), parse: integer(100, 600_000), assign: limit("bodyTimeoutMs") }),
  setting({ env: "MAX_TEMPLATE_BYTES", hosts: BOTH, describe: "Largest template", fallback: String(DEFAULT_LIMITS.maxTemplateBytes), parse: integer(KIB, MAX_BYTES), assign: limit("maxTemplateBytes") }),
  setting({ env: "MAX_ARGS_BYTES", hosts: BOTH, describe: "Largest args object, as JSON", fallback: String(DEFAULT_LIMITS.maxArgsBytes), parse: integer(2, MAX_BYTES), assign: limit("maxArgsBytes") }),
  setting({ env: "MAX_ARGS_DEPTH", hosts: BOTH, describe: "Deepest nesting of objects and arrays in args (args itself is 1)", fallback: String(DEFAULT_LIMITS.maxArgsDepth), parse: integer(1, 1_000), assign: limit("maxArgsDepth") }),
  setting({ env: "MAX_ARGS_KEYS", hosts: BOTH, describe: "Most keys plus array elements in args, at every level", fallback: String(DEFAULT_LIMITS.maxArgsKeys), parse: integer(1, 1_000_000), assign: limit("maxArgsKeys") }),
  setting({ env: "MAX_FRAME_BYTES", hosts: BOTH, describe: "Largest rendered frame", fallback: String(DEFAULT_LIMITS.maxFrameBytes), parse: integer(KIB, MAX_BYTES), assign: limit("maxFrameBytes") }),
  setting({ env: "MAX_SVG_DEPTH", hosts: BOTH, describe: "svg sessions: deepest nesting of elements in the rendered frame", fallback: String(DEFAULT_LIMITS.maxSvgDepth), parse: integer(1, 100_000), assign: limit("maxSvgDepth") }),
  setting({ env: "RENDER_TIMEOUT_MS", hosts: BOTH, describe: "Time budget of one render", fallback: String(DEFAULT_LIMITS.renderTimeoutMs), parse: integer(1, 60_000), assign: limit("renderTimeoutMs") }),
  setting({ env: "RENDER_MEMORY_BYTES", hosts: BOTH, describe: "Memory budget of one render", fallback: String(DEFAULT_LIMITS.renderMemoryBytes), parse: integer(KIB, 1024 * MAX_BYTES), assign: limit("renderMemoryBytes") }),
  setting({ env: "RENDER_WORKERS", hosts: NODE, describe: "Processes rendering html and PNG (unset: the CPUs this process may use, cgroup quota included)", parse: integer(1, 256), assign: (c, v) => (c.renderWorkers = v) }),
  setting({ env: "RENDER_WORKER_MEMORY_BYTES", hosts: NODE, describe: "Heap ceiling of each render process (html past it: 400), and the wasm memory it may keep after a PNG", fallback: String(DEFAULT_RENDER_WORKER_MEMORY_BYTES), parse: integer(32 * KIB * KIB, 1024 * MAX_BYTES), assign: (c, v) => (c.renderWorkerMemoryBytes = v) }),
  setting({ env: "RENDER_QUEUE", hosts: NODE, describe: "Renders that may wait for a render process (503 render_busy beyond)", fallback: String(DEFAULT_RENDER_QUEUE), parse: integer(0, 100_000), assign: (c, v) => (c.renderQueue = v) }),
  setting({ env: "DEFAULT_EXPIRE", hosts: BOTH, describe: "Session lifetime when a request names none (never only with MAX_EXPIRE=never)", fallback: "1d", parse: lifetime, assign: (c, v) => (c.limits.defaultExpireSeconds = v) }),
  setting({ env: "MAX_EXPIRE", hosts: BOTH, describe: "Longest session lifetime a request may ask for; never also allows \"expire\": \"never\"", fallback: "30d", parse: lifetime, assign: (c, v) => (c.limits.maxExpireSeconds = v) }),
  setting({ env: "LOST_SESSION_GRACE_SECONDS", hosts: BOTH, describe: "How long streams of a session lost with the store's data stay open for it to be made again (never past its expiry)", fallback: String(DEFAULT_LIMITS.lostSessionGraceSeconds), parse: integer(0, 31_536_000), assign: limit("lostSessionGraceSeconds") }),
  setting({ env: "KEEP_ALIVE_MS", hosts: BOTH, describe: "Default interval of keep-alive frame resends on streams", fallback: String(DEFAULT_LIMITS.keepAliveMs), parse: integer(1_000, 300_000), assign: limit("keepAliveMs") }),
  setting({ env: "READY_TIMEOUT_MS", hosts: BOTH, describe: "How long /ready waits for the store", fallback: String(DEFAULT_LIMITS.readyTimeoutMs), parse: integer(10, 60_000), assign: limit("readyTimeoutMs") }),
  setting({ env: "MAX_HTML_BYTES", hosts: BOTH, describe: "html sessions: largest rendered markup", fallback: String(DEFAULT_LIMITS.maxHtmlBytes), parse: integer(KIB, MAX_BYTES), assign: limit("maxHtmlBytes") }),
  setting({ env: "MAX_HTML_NODES", hosts: BOTH, describe: "html sessions: most elements in the rendered markup", fallback: String(DEFAULT_LIMITS.maxHtmlNodes), parse: integer(1, 100_000), assign: limit("maxHtmlNodes") }),
  setting({ env: "MAX_HTML_TEXT", hosts: BOTH, describe: "html sessions: most characters of text in the rendered markup", fallback: String(DEFAULT_LIMITS.maxHtmlText), parse: integer(1, 10_000_000), assign: limit("maxHtmlText") }),
  setting({ env: "MAX_HTML_DEPTH", hosts: BOTH, describe: "html sessions: deepest nesting of elements", fallback: String(DEFAULT_LIMITS.maxHtmlDepth), parse: integer(1, 1_000), assign: limit("maxHtmlDepth") }),
  setting({ env: "MAX_PNG_SCALE", hosts: BOTH, describe: "Largest scale of GET /png/ID", fallback: String(DEFAULT_LIMITS.maxPngScale), parse: integer(1, 16), assign: limit("maxPngScale") }),
  setting({ env: "MAX_PNG_PIXELS", hosts: BOTH, describe: "Largest PNG, pixels after scaling", fallback: String(DEFAULT_LIMITS.maxPngPixels), parse: integer(1, 268_435_456), assign: limit("maxPngPixels") }),
  setting({ env: "MAX_PNG_FILTER_PIXELS", hosts: BOTH, describe: "Most pixels a PNG's filters may process (output pixels x primitives applied)", fallback: String(DEFAULT_LIMITS.maxPngFilterPixels), parse: integer(0, 17_179_869_184), assign: limit("maxPngFilterPixels") }),
  setting({ env: "MAX_PNG_FILTER_RADIUS", hosts: BOTH, describe: "Largest feMorphology radius (x scale) or half feConvolveMatrix order, pixels", fallback: String(DEFAULT_LIMITS.maxPngFilterRadius), parse: integer(0, 1_000), assign: limit("maxPngFilterRadius") }),
  setting({ env: "PNG_TIMEOUT_MS", hosts: NODE, describe: "Hard deadline of one PNG render (422 png_render_limit_exceeded beyond)", fallback: String(DEFAULT_PNG_TIMEOUT_MS), parse: integer(10, 600_000), assign: (c, v) => (c.pngTimeoutMs = v) }),
  setting({ env: "PNG_CACHE_BYTES", hosts: BOTH, describe: "Memory for rendered PNGs per process", fallback: String(DEFAULT_LIMITS.pngCacheBytes), parse: integer(0, 1024 * MAX_BYTES), assign: limit("pngCacheBytes") }),
  setting({ env: "TEMPLATE_CACHE_BYTES", hosts: BOTH, describe: "Memory for parsed templates per process (0: parse on every write)", fallback: String(DEFAULT_LIMITS.templateCacheBytes), parse: integer(0, 1024 * MAX_BYTES), assign: limit("templateCacheBytes") }),
  setting({ env: "WRITE_CACHE_BYTES", hosts: BOTH, describe: "Memory for the records this process last wrote, which its next writes to them start from instead of reading the store (0: always read)", fallback: String(DEFAULT_LIMITS.writeCacheBytes), parse: integer(0, 1024 * MAX_BYTES), assign: limit("writeCacheBytes") }),
];

/** Each host's rows, in table order. The guards are sound because `setting()` types `apply`
 *  for every host its row lists (a row of both hosts takes `Config | EdgeConfig`). */
const BY_HOST: { readonly [H in Host]: readonly Setting<HostConfigs[H]>[] } = {
  node: SETTINGS.filter((s): s is Setting<Config> => s.hosts.includes("node")),
  edge: SETTINGS.filter((s): s is Setting<EdgeConfig> => s.hosts.includes("edge")),
};

/** The settings `host` reads, in table order. */
export function settingsFor<H extends Host>(host: H): readonly Setting<HostConfigs[H]>[] {
  return BY_HOST[host];
}

/**
 * What each loader starts from: every setting's `fallback`, parsed (a unit test holds the two
 * together), and the unset optional fields. The required edge settings' placeholders never
 * escape: `loadSettings` throws `missing NAME` first.
 */
const DEFAULTS: { readonly [H in Host]: () => HostConfigs[H] } = {
  node: () => ({
    port: 8080,
    host: "0.0.0.0",
    redisPort: 6379,
    redisTls: false,
    redisWaitReplicas: 0,
    redisWaitTimeoutMs: 500,
    keyPrefix: "rsvg:",
    logLevel: "info",
    shutdownGraceMs: 10_000,
    drainSeconds: DEFAULT_DRAIN_SECONDS,
    trustedProxyHops: 1,
    renderWorkerMemoryBytes: DEFAULT_RENDER_WORKER_MEMORY_BYTES,
    renderQueue: DEFAULT_RENDER_QUEUE,
    pngTimeoutMs: DEFAULT_PNG_TIMEOUT_MS,
    memoryMaxBytes: DEFAULT_MEMORY_MAX_BYTES,
    memoryMaxSessions: DEFAULT_MEMORY_MAX_SESSIONS,
    limits: { ...DEFAULT_LIMITS },
  }),
  edge: () => ({ upstashUrl: "", upstashToken: "", keyPrefix: "rsvg:", limits: { ...DEFAULT_LIMITS } }),
};

/** A fresh copy of the configuration `host` has with nothing set. */
export function defaultsFor<H extends Host>(host: H): HostConfigs[H] {
  return DEFAULTS[host]();
}

/** Reads --flag value / --flag=value pairs; a flag that is not one of `settings` is an error. */
function parseFlags(settings: readonly { env: string; flag: string | undefined }[], argv: readonly string[]): Map<string, string> {
  const values = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const [name, inline] = arg.includes("=") ? [arg.slice(0, arg.indexOf("=")), arg.slice(arg.indexOf("=") + 1)] : [arg, undefined];
    const row = settings.find((s) => s.flag !== undefined && s.flag === name);
    if (!row) throw new ConfigError(`unknown option ${name} (see --help)`);
    const value = inline ?? argv[++i];
    if (value === undefined) throw new ConfigError(`option ${name} needs a value`);
    values.set(row.env, value);
  }
  return values;
}

/**
 * `host`'s settings from `env` (values that are not strings count as unset, as an edge runtime's
 * non-text bindings), overridden by `argv` flags. Unset, or empty with no default: the default, or
 * `missing NAME` when required. Throws ConfigError naming the setting.
 */
export function loadSettings<H extends Host>(host: H, env: Readonly<Record<string, unknown>>, argv: readonly string[] = []): HostConfigs[H] {
  const settings = settingsFor(host);
  const flags = parseFlags(settings, argv);
  const config = defaultsFor(host);
  for (const row of settings) {
    const bound = env[row.env];
    const raw = flags.get(row.env) ?? (typeof bound === "string" ? bound : undefined);
    if (raw === undefined || (raw === "" && row.fallback === undefined)) {
      if (row.required) throw new ConfigError(`missing ${row.env}`);
      continue;
    }
    row.apply(config, raw);
  }
  if (exceeds(config.limits.defaultExpireSeconds, config.limits.maxExpireSeconds)) {
    throw new ConfigError("invalid DEFAULT_EXPIRE: longer than MAX_EXPIRE");
  }
  return config;
}

/** The Node host's configuration: the environment, overridden by --flags. */
export function loadConfig(env: Readonly<Record<string, unknown>>, argv: readonly string[] = []): Config {
  const config = loadSettings("node", env, argv);
  checkRedisTopology(config);
  return config;
}

/** One topology at a time, each with what it needs; the first conflict found is named. */
function checkRedisTopology(config: Config): void {
  const single = config.redisUrl ? "REDIS_URL" : config.redisHost ? "REDIS_HOST" : undefined;
  if (config.redisUrl && config.redisHost) {
    throw new ConfigError("invalid REDIS_HOST: set either REDIS_URL or REDIS_HOST, not both");
  }
  if (config.redisSentinels && single) {
    throw new ConfigError(`invalid REDIS_SENTINELS: set either ${single} or REDIS_SENTINELS, not both`);
  }
  if (config.redisClusterNodes && single) {
    throw new ConfigError(`invalid REDIS_CLUSTER_NODES: set either ${single} or REDIS_CLUSTER_NODES, not both`);
  }
  if (config.redisClusterNodes && config.redisSentinels) {
    throw new ConfigError("invalid REDIS_CLUSTER_NODES: set either REDIS_SENTINELS or REDIS_CLUSTER_NODES, not both");
  }
  if (config.redisSentinels && !config.redisSentinelMaster) {
    throw new ConfigError("missing REDIS_SENTINEL_MASTER: REDIS_SENTINELS needs the primary's name");
  }
  if (!config.redisSentinels && config.redisSentinelMaster !== undefined) {
    throw new ConfigError("invalid REDIS_SENTINEL_MASTER: only with REDIS_SENTINELS");
  }
  if (!config.redisSentinels && config.redisSentinelPassword !== undefined) {
    throw new ConfigError("invalid REDIS_SENTINEL_PASSWORD: only with REDIS_SENTINELS");
  }
  if (config.redisTls && config.redisUrl) {
    throw new ConfigError("invalid REDIS_TLS: a URL chooses TLS itself (rediss://)");
  }
  const usesTls = config.redisTls || config.redisUrl?.startsWith("rediss:") === true;
  if (config.redisCaFile !== undefined && !usesTls) {
    throw new ConfigError("invalid REDIS_CA_FILE: only with TLS (REDIS_TLS=true or a rediss:// URL)");
  }
  const anyRedis = single ?? config.redisSentinels ?? config.redisClusterNodes;
  if (config.redisWaitReplicas > 0 && !anyRedis) {
    throw new ConfigError("invalid REDIS_WAIT_REPLICAS: the in-memory store has no replicas");
  }
}

/** The name column of --help: flag and variable, or only the variable of an edge-only setting. */
const helpName = (setting: AnySetting) => (setting.flag ? `${setting.flag} / ${setting.env}` : setting.env);

export function helpText(): string {
  const nameWidth = Math.max(...SETTINGS.map((s) => helpName(s).length)) + 2;
  const hostsWidth = Math.max(...SETTINGS.map((s) => s.hosts.join(", ").length)) + 2;
  const row = (name: string, hosts: string, text: string) => `  ${name.padEnd(nameWidth)}${hosts.padEnd(hostsWidth)}${text}`;
  const rows = SETTINGS.map((s) => {
    const note = s.fallback ? ` (default: ${s.fallback})` : s.required ? " (required)" : "";
    return row(helpName(s), s.hosts.join(", "), `${s.describe}${note}`);
  });
  return [
    "realtime-svg: live SVG images over multipart/x-mixed-replace",
    "",
    "Usage: node dist/runtime/node/main.js [--option value ...]",
    "Every node option may also be given as an environment variable; flags win.",
    "The edge worker (dist/edge/worker.js) reads the edge settings from its bindings.",
    "",
    row("option / variable", "hosts", "meaning"),
    ...rows,
    "",
  ].join("\n");
}

/** The configuration with secrets masked, for the startup log line. */
export function redactedConfig(config: Config): Record<string, unknown> {
  const shown: Record<string, unknown> = {
    ...config,
    redisUrl: config.redisUrl?.replace(/\/\/([^@/]*)@/, "//***@"),
    redisPassword: config.redisPassword ? "***" : undefined,
    redisSentinelPassword: config.redisSentinelPassword ? "***" : undefined,
    apiKey: config.apiKey ? "***" : undefined,
    secretsKey: config.secretsKey ? "***" : undefined,
    metricsToken: config.metricsToken ? "***" : undefined,
  };
  for (const key of Object.keys(shown)) if (shown[key] === undefined) delete shown[key];
  return shown;
}
