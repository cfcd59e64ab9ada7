import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  ConfigError,
  defaultsFor,
  helpText,
  loadConfig,
  redactedConfig,
  setting,
  settingsFor,
  SETTINGS,
  type Host,
} from "../../runtime/config.js";

/** The rows of the table under README.md's "## Configuration" heading, as trimmed cells. */
function readmeTable(): { header: string[]; rows: string[][] } {
  const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");
  const section = readme.split(/^## /m).find((part) => part.startsWith("Configuration\n"));
  if (!section) throw new Error('README.md has no "## Configuration" section');
  const lines = section.split("\n");
  const first = lines.findIndex((line) => line.startsWith("|"));
  const end = lines.findIndex((line, i) => i > first && !line.startsWith("|"));
  const cells = (line: string) => line.split("|").slice(1, -1).map((cell) => cell.trim());
  const [header, separator, ...rows] = lines.slice(first, end === -1 ? undefined : end).map(cells);
  expect(separator?.every((cell) => /^-+$/.test(cell))).toBe(true);
  return { header: header ?? [], rows };
}

describe("configuration", () => {
  it("has working defaults with nothing set (memory store)", () => {
    const config = loadConfig({});
    expect(config).toMatchObject({ port: 8080, host: "0.0.0.0", keyPrefix: "rsvg:", logLevel: "info", shutdownGraceMs: 10_000 });
    expect(config.redisUrl).toBeUndefined();
    expect(config.redisHost).toBeUndefined();
    expect(config.limits.maxBodyBytes).toBe(256 * 1024);
    expect(config.limits.defaultExpireSeconds).toBe(86400);
    expect(config.limits.maxExpireSeconds).toBe(30 * 86400);
  });

  it("reads the Sentinel and Cluster topologies, with TLS for address lists", () => {
    const sentinel = loadConfig({
      REDIS_SENTINELS: "s1:26379, [::1]:26380",
      REDIS_SENTINEL_MASTER: "mymaster",
      REDIS_SENTINEL_PASSWORD: "sp",
      REDIS_PASSWORD: "dp",
      REDIS_TLS: "true",
      REDIS_CA_FILE: "/etc/ca.pem",
      REDIS_WAIT_REPLICAS: "0",
    });
    expect(sentinel).toMatchObject({
      redisSentinels: [{ host: "s1", port: 26379 }, { host: "::1", port: 26380 }],
      redisSentinelMaster: "mymaster",
      redisSentinelPassword: "sp",
      redisPassword: "dp",
      redisTls: true,
      redisCaFile: "/etc/ca.pem",
      redisWaitReplicas: 0,
    });
    expect(redactedConfig(sentinel)).toMatchObject({ redisSentinelPassword: "***", redisPassword: "***" });
    const cluster = loadConfig({ REDIS_CLUSTER_NODES: "10.0.0.1:7000,10.0.0.2:7001" });
    expect(cluster).toMatchObject({ redisClusterNodes: [{ host: "10.0.0.1", port: 7000 }, { host: "10.0.0.2", port: 7001 }], redisTls: false, redisWaitReplicas: 0 });
    expect(loadConfig({ REDIS_URL: "rediss://a", REDIS_CA_FILE: "/ca.pem" }).redisCaFile).toBe("/ca.pem");
    expect(loadConfig({ REDIS_CLUSTER_NODES: "n:7000", REDIS_WAIT_REPLICAS: "1", REDIS_WAIT_TIMEOUT_MS: "250" })).toMatchObject({ redisWaitReplicas: 1, redisWaitTimeoutMs: 250 });
    expect(loadConfig({ REDIS_HOST: "a", REDIS_WAIT_REPLICAS: "2" })).toMatchObject({ redisWaitReplicas: 2, redisWaitTimeoutMs: 500 });
  });

  it("reads the environment, and flags override it", () => {
    const config = loadConfig({ PORT: "9000", REDIS_HOST: "redis", REDIS_PORT: "6380", MAX_EXPIRE: "7d" }, ["--port", "9001", "--log-level=debug"]);
    expect(config).toMatchObject({ port: 9001, redisHost: "redis", redisPort: 6380, logLevel: "debug" });
    expect(config.limits.maxExpireSeconds).toBe(7 * 86400);
  });

  it.each([
    [{ PORT: "eighty" }, /^invalid PORT="eighty"/],
    [{ PORT: "70000" }, /^invalid PORT/],
    [{ PORT: "" }, /^invalid PORT=""/],
    [{ REDIS_URL: "http://x" }, /^invalid REDIS_URL=\(hidden\): expected a redis: or rediss: URL$/],
    [{ LOG_LEVEL: "loud" }, /^invalid LOG_LEVEL/],
    [{ KEY_PREFIX: "a b" }, /^invalid KEY_PREFIX/],
    [{ MAX_BODY_BYTES: "10" }, /^invalid MAX_BODY_BYTES/],
    [{ DEFAULT_EXPIRE: "40d" }, /^invalid DEFAULT_EXPIRE/],
    [{ REDIS_URL: "redis://a", REDIS_HOST: "b" }, /^invalid REDIS_HOST/],
    [{ REDIS_URL: "redis://a", REDIS_SENTINELS: "s:26379", REDIS_SENTINEL_MASTER: "m" }, /^invalid REDIS_SENTINELS: set either REDIS_URL or REDIS_SENTINELS/],
    [{ REDIS_HOST: "a", REDIS_CLUSTER_NODES: "n:6379" }, /^invalid REDIS_CLUSTER_NODES: set either REDIS_HOST/],
    [{ REDIS_CLUSTER_NODES: "n:6379", REDIS_SENTINELS: "s:26379", REDIS_SENTINEL_MASTER: "m" }, /^invalid REDIS_CLUSTER_NODES: set either REDIS_SENTINELS/],
    [{ REDIS_SENTINELS: "s:26379" }, /^missing REDIS_SENTINEL_MASTER/],
    [{ REDIS_SENTINEL_MASTER: "m" }, /^invalid REDIS_SENTINEL_MASTER: only with REDIS_SENTINELS/],
    [{ REDIS_HOST: "a", REDIS_SENTINEL_PASSWORD: "p" }, /^invalid REDIS_SENTINEL_PASSWORD/],
    [{ REDIS_SENTINELS: "s", REDIS_SENTINEL_MASTER: "m" }, /^invalid REDIS_SENTINELS="s": "s" is not host:port/],
    [{ REDIS_CLUSTER_NODES: "n:0" }, /^invalid REDIS_CLUSTER_NODES/],
    [{ REDIS_CLUSTER_NODES: " , " }, /^invalid REDIS_CLUSTER_NODES/],
    [{ REDIS_URL: "rediss://a", REDIS_TLS: "true" }, /^invalid REDIS_TLS: a URL chooses/],
    [{ REDIS_HOST: "a", REDIS_TLS: "yes" }, /^invalid REDIS_TLS="yes"/],
    [{ REDIS_HOST: "a", REDIS_CA_FILE: "/ca.pem" }, /^invalid REDIS_CA_FILE: only with TLS/],
    [{ REDIS_WAIT_REPLICAS: "1" }, /^invalid REDIS_WAIT_REPLICAS: the in-memory store/],
    [{ REDIS_HOST: "a", REDIS_WAIT_REPLICAS: "-1" }, /^invalid REDIS_WAIT_REPLICAS/],
    [{ REDIS_HOST: "a", REDIS_WAIT_REPLICAS: "17" }, /^invalid REDIS_WAIT_REPLICAS/],
    [{ REDIS_HOST: "a", REDIS_WAIT_REPLICAS: "1", REDIS_WAIT_TIMEOUT_MS: "0" }, /^invalid REDIS_WAIT_TIMEOUT_MS/],
    [{ REDIS_HOST: "a", REDIS_WAIT_REPLICAS: "1", REDIS_WAIT_TIMEOUT_MS: "1501" }, /^invalid REDIS_WAIT_TIMEOUT_MS/],
  ])("rejects %j naming the variable", (env, message) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(message);
  });

  it("rejects an invalid flag value naming the variable", () => {
    expect(() => loadConfig({ PORT: "9000" }, ["--port=eighty"])).toThrow(/^invalid PORT="eighty"/);
    expect(() => loadConfig({}, ["--port"])).toThrow(/^option --port needs a value$/);
  });

  it("rejects unknown flags", () => {
    expect(() => loadConfig({}, ["--prot", "1"])).toThrow(/unknown option --prot/);
  });

  it("reads only the Node host's settings: edge-only ones are neither flags nor variables there", () => {
    expect(() => loadConfig({}, ["--upstash-redis-rest-url", "https://x"])).toThrow(/^unknown option --upstash-redis-rest-url/);
    expect(loadConfig({ UPSTASH_REDIS_REST_URL: "not a url", UPSTASH_HEARTBEAT_MS: "1" })).toEqual(loadConfig({}));
    expect(settingsFor("node").map((s) => s.env)).toEqual(SETTINGS.filter((s) => s.hosts.includes("node")).map((s) => s.env));
  });

  it.each<Host>(["node", "edge"])("%s starts from every setting's documented default", (host) => {
    for (const row of settingsFor(host)) {
      if (row.fallback === undefined) continue;
      const config = defaultsFor(host);
      row.apply(config, row.fallback);
      expect(config, `${row.env}=${row.fallback}`).toEqual(defaultsFor(host));
    }
  });

  it("types each row end to end: assign takes what parse returns, on the fields its hosts have", () => {
    const port = setting({ env: "TEST_PORT", hosts: ["node"], describe: "test", parse: Number, assign: (c, v) => (c.port = v) });
    const config = defaultsFor("node");
    port.apply(config, "1234");
    expect(config.port).toBe(1234);
    expect(port.flag).toBe("--test-port");
    // tsc (npm run lint) fails if any of these compiles:
    // @ts-expect-error a number cannot go into a string field
    setting({ env: "T", hosts: ["node"], describe: "test", parse: Number, assign: (c, v) => (c.host = v) });
    // @ts-expect-error an edge-only row has no Node field to write
    setting({ env: "T", hosts: ["edge"], describe: "test", parse: Number, assign: (c, v) => (c.port = v) });
    // @ts-expect-error a row of both hosts may write only what both configs have
    setting({ env: "T", hosts: ["node", "edge"], describe: "test", parse: String, assign: (c, v) => (c.host = v) });
  });

  it("gives every setting a --help line with its flag, hosts, text and default", () => {
    const lines = helpText().split("\n");
    for (const row of SETTINGS) {
      const name = row.hosts.includes("node") ? `${row.flag} / ${row.env}` : row.env;
      const line = lines.find((l) => l.startsWith(`  ${name} `));
      expect(line, row.env).toBeDefined();
      const [, hosts, rest] = /^\s{2,}(\S+(?:, \S+)*)\s{2,}(.*)$/.exec(line?.slice(2 + name.length) ?? "") ?? [];
      expect(hosts, row.env).toBe(row.hosts.join(", "));
      expect(rest, row.env).toContain(row.describe);
      if (row.fallback !== undefined) expect(rest, row.env).toContain(`(default: ${row.fallback})`);
      if (row.required) expect(rest, row.env).toContain("(required)");
    }
    expect(SETTINGS.filter((row) => row.flag === undefined).map((row) => row.hosts)).toEqual(
      SETTINGS.filter((row) => !row.hosts.includes("node")).map((row) => row.hosts),
    );
  });

  it("lists exactly the settings of SETTINGS in the README's configuration table: names, defaults, hosts", () => {
    const { header, rows } = readmeTable();
    expect(header).toEqual(["variable", "default", "hosts", "meaning"]);
    expect(rows.map(([variable]) => variable)).toEqual(SETTINGS.map((row) => `\`${row.env}\``));
    for (const [variable, fallback, hosts] of rows) {
      const row = SETTINGS.find((s) => `\`${s.env}\`` === variable)!;
      expect(hosts, row.env).toBe(row.hosts.join(", "));
      if (row.fallback !== undefined) expect(fallback, row.env).toBe(`\`${row.fallback}\``);
      else if (row.required) expect(fallback, row.env).toBe("required");
      // No default in the table: a dash or words ("request origin"), never a value in code.
      else expect(fallback, row.env).not.toMatch(/`/);
    }
  });

  it("masks secrets for logging", () => {
    const config = loadConfig({ REDIS_URL: "redis://:hunter2@redis:6379", API_KEY: "k3y" });
    const shown = JSON.stringify(redactedConfig(config));
    expect(shown).not.toContain("hunter2");
    expect(shown).not.toContain("k3y");
  });
});
