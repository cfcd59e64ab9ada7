/** Settings shared by the hosts (Node and edge): one table of names, defaults, parsers and help. Portable: no Node import. */
import { parseDuration } from "../handlers/sessions/expire.js";
import { DEFAULT_LIMITS, type Limits } from "../handlers/options.js";

/** The Node host's settings: from the environment, overridden by --flags of the same name. */
export interface Config {
  port: number;
  host: string;
  redisUrl?: string;
  redisHost?: string;
  redisPort: number;
  redisPassword?: string;
  logLevel: string;
  apiKey?: string;
  metricsToken?: string;
  keyPrefix: string;
  publicUrl?: string;
  shutdownGraceMs: number;
  limits: Limits;
}

export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

type Parse = (raw: string) => unknown;

interface Setting {
  env: string;
  describe: string;
  fallback?: string;
  secret?: boolean;
  parse: Parse;
  assign: (config: Config, value: never) => void;
}

const integer = (min: number, max: number): Parse => (raw) => {
  const value = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || value < min || value > max) {
    throw new Error(`expected a whole number from ${min} to ${max}`);
  }
  return value;
};
const text: Parse = (raw) => raw;
const duration: Parse = (raw) => {
  const seconds = parseDuration(raw);
  if (seconds === null) throw new Error('expected seconds or a duration such as "90s", "15m", "2h", "1d"');
  return seconds;
};
const url = (protocols: string[]): Parse => (raw) => {
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    throw new Error("expected a URL");
  }
  if (!protocols.includes(parsed.protocol)) throw new Error(`expected a ${protocols.join(" or ")} URL`);
  return raw;
};
const oneOf = (values: string[]): Parse => (raw) => {
  if (!values.includes(raw)) throw new Error(`expected one of ${values.join(", ")}`);
  return raw;
};
const prefix: Parse = (raw) => {
  if (!/^[A-Za-z0-9._:-]{0,64}$/.test(raw)) throw new Error("expected up to 64 characters of A-Z a-z 0-9 . _ : -");
  return raw;
};

const limit = (key: keyof Limits) => (config: Config, value: number) => {
  config.limits[key] = value;
};
const KIB = 1024;
const MAX_BYTES = 64 * 1024 * KIB;

/** Every setting, in the order --help and the README list them. */
export const SETTINGS: Setting[] = [
  { env: "PORT", describe: "TCP port to listen on", fallback: "8080", parse: integer(0, 65535), assign: (c, v: number) => (c.port = v) },
  { env: "HOST", describe: "Address to bind", fallback: "0.0.0.0", parse: text, assign: (c, v: string) => (c.host = v) },
  { env: "REDIS_URL", describe: "Redis URL (redis:// or rediss://); unset with no REDIS_HOST: in-memory store", secret: true, parse: url(["redis:", "rediss:"]), assign: (c, v: string) => (c.redisUrl = v) },
  { env: "REDIS_HOST", describe: "Redis host (alternative to REDIS_URL, as a ConfigMap provides it)", parse: text, assign: (c, v: string) => (c.redisHost = v) },
  { env: "REDIS_PORT", describe: "Redis port, with REDIS_HOST", fallback: "6379", parse: integer(1, 65535), assign: (c, v: number) => (c.redisPort = v) },
  { env: "REDIS_PASSWORD", describe: "Redis password, with REDIS_HOST (as a Secret provides it)", secret: true, parse: text, assign: (c, v: string) => (c.redisPassword = v) },
  { env: "KEY_PREFIX", describe: "Prefix of every Redis key and channel", fallback: "rsvg:", parse: prefix, assign: (c, v: string) => (c.keyPrefix = v) },
  { env: "API_KEY", describe: "Server API key: needed to create sessions, may write any session", secret: true, parse: text, assign: (c, v: string) => (c.apiKey = v || undefined) },
  { env: "METRICS_TOKEN", describe: "When set, GET /metrics needs Authorization: Bearer <token>", secret: true, parse: text, assign: (c, v: string) => (c.metricsToken = v || undefined) },
  { env: "PUBLIC_URL", describe: "Base URL for links in API responses (default: the request's origin)", parse: url(["http:", "https:"]), assign: (c, v: string) => (c.publicUrl = v) },
  { env: "LOG_LEVEL", describe: "fatal, error, warn, info, debug, trace or silent", fallback: "info", parse: oneOf(["fatal", "error", "warn", "info", "debug", "trace", "silent"]), assign: (c, v: string) => (c.logLevel = v) },
  { env: "SHUTDOWN_GRACE_MS", describe: "Longest wait for connections to close after SIGTERM", fallback: "10000", parse: integer(0, 600_000), assign: (c, v: number) => (c.shutdownGraceMs = v) },
  { env: "MAX_BODY_BYTES", describe: "Largest request body (413 beyond)", fallback: String(DEFAULT_LIMITS.maxBodyBytes), parse: integer(KIB, MAX_BYTES), assign: limit("maxBodyBytes") },
  { env: "MAX_TEMPLATE_BYTES", describe: "Largest template", fallback: String(DEFAULT_LIMITS.maxTemplateBytes), parse: integer(KIB, MAX_BYTES), assign: limit("maxTemplateBytes") },
  { env: "MAX_ARGS_BYTES", describe: "Largest args object, as JSON", fallback: String(DEFAULT_LIMITS.maxArgsBytes), parse: integer(2, MAX_BYTES), assign: limit("maxArgsBytes") },
  { env: "MAX_FRAME_BYTES", describe: "Largest rendered frame", fallback: String(DEFAULT_LIMITS.maxFrameBytes), parse: integer(KIB, MAX_BYTES), assign: limit("maxFrameBytes") },
  { env: "RENDER_TIMEOUT_MS", describe: "Time budget of one render", fallback: String(DEFAULT_LIMITS.renderTimeoutMs), parse: integer(1, 60_000), assign: limit("renderTimeoutMs") },
  { env: "RENDER_MEMORY_BYTES", describe: "Memory budget of one render", fallback: String(DEFAULT_LIMITS.renderMemoryBytes), parse: integer(KIB, 1024 * MAX_BYTES), assign: limit("renderMemoryBytes") },
  { env: "DEFAULT_EXPIRE", describe: "Session lifetime when a request names none", fallback: "1d", parse: duration, assign: limit("defaultExpireSeconds") },
  { env: "MAX_EXPIRE", describe: "Longest session lifetime a request may ask for", fallback: "30d", parse: duration, assign: limit("maxExpireSeconds") },
  { env: "KEEP_ALIVE_MS", describe: "Default interval of keep-alive frame resends on streams", fallback: String(DEFAULT_LIMITS.keepAliveMs), parse: integer(1_000, 300_000), assign: limit("keepAliveMs") },
  { env: "READY_TIMEOUT_MS", describe: "How long /ready waits for the store", fallback: String(DEFAULT_LIMITS.readyTimeoutMs), parse: integer(10, 60_000), assign: limit("readyTimeoutMs") },
  { env: "MAX_HTML_BYTES", describe: "html sessions: largest rendered markup", fallback: String(DEFAULT_LIMITS.maxHtmlBytes), parse: integer(KIB, MAX_BYTES), assign: limit("maxHtmlBytes") },
  { env: "MAX_HTML_NODES", describe: "html sessions: most elements in the rendered markup", fallback: String(DEFAULT_LIMITS.maxHtmlNodes), parse: integer(1, 100_000), assign: limit("maxHtmlNodes") },
  { env: "MAX_HTML_DEPTH", describe: "html sessions: deepest nesting of elements", fallback: String(DEFAULT_LIMITS.maxHtmlDepth), parse: integer(1, 1_000), assign: limit("maxHtmlDepth") },
  { env: "MAX_PNG_SCALE", describe: "Largest scale of GET /png/ID", fallback: String(DEFAULT_LIMITS.maxPngScale), parse: integer(1, 16), assign: limit("maxPngScale") },
  { env: "MAX_PNG_PIXELS", describe: "Largest PNG, pixels after scaling", fallback: String(DEFAULT_LIMITS.maxPngPixels), parse: integer(1, 268_435_456), assign: limit("maxPngPixels") },
  { env: "PNG_CACHE_BYTES", describe: "Memory for rendered PNGs per process", fallback: String(DEFAULT_LIMITS.pngCacheBytes), parse: integer(0, 1024 * MAX_BYTES), assign: limit("pngCacheBytes") },
];

const flagName = (env: string) => `--${env.toLowerCase().replace(/_/g, "-")}`;

/** Reads --flag value / --flag=value pairs; unknown flags are an error. */
function parseFlags(argv: string[]): Map<string, string> {
  const values = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const [name, inline] = arg.includes("=") ? [arg.slice(0, arg.indexOf("=")), arg.slice(arg.indexOf("=") + 1)] : [arg, undefined];
    const setting = SETTINGS.find((s) => flagName(s.env) === name);
    if (!setting) throw new ConfigError(`unknown option ${name} (see --help)`);
    const value = inline ?? argv[++i];
    if (value === undefined) throw new ConfigError(`option ${name} needs a value`);
    values.set(setting.env, value);
  }
  return values;
}

export function loadConfig(env: Record<string, string | undefined>, argv: string[] = []): Config {
  const flags = parseFlags(argv);
  const config = { redisPort: 6379, limits: { ...DEFAULT_LIMITS } } as Config;
  for (const setting of SETTINGS) {
    const raw = flags.get(setting.env) ?? env[setting.env] ?? setting.fallback;
    if (raw === undefined || (raw === "" && setting.fallback === undefined)) continue;
    let value: unknown;
    try {
      value = setting.parse(raw);
    } catch (error) {
      const shown = setting.secret ? "(hidden)" : JSON.stringify(raw);
      throw new ConfigError(`invalid ${setting.env}=${shown}: ${(error as Error).message}`);
    }
    setting.assign(config, value as never);
  }
  if (config.limits.defaultExpireSeconds > config.limits.maxExpireSeconds) {
    throw new ConfigError("invalid DEFAULT_EXPIRE: longer than MAX_EXPIRE");
  }
  if (config.redisUrl && config.redisHost) {
    throw new ConfigError("invalid REDIS_HOST: set either REDIS_URL or REDIS_HOST, not both");
  }
  return config;
}

export function helpText(): string {
  const rows = SETTINGS.map((s) => {
    const name = `${flagName(s.env)} / ${s.env}`.padEnd(44);
    return `  ${name}${s.describe}${s.fallback ? ` (default: ${s.fallback})` : ""}`;
  });
  return [
    "realtime-svg: live SVG images over multipart/x-mixed-replace",
    "",
    "Usage: node dist/runtime/node/main.js [--option value ...]",
    "Every option may also be given as an environment variable; flags win.",
    "",
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
    apiKey: config.apiKey ? "***" : undefined,
    metricsToken: config.metricsToken ? "***" : undefined,
  };
  for (const key of Object.keys(shown)) if (shown[key] === undefined) delete shown[key];
  return shown;
}
