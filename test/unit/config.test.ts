import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { helpText, loadConfig, redactedConfig, SETTINGS } from "../../runtime/config.js";

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

  it("reads the environment, and flags override it", () => {
    const config = loadConfig({ PORT: "9000", REDIS_HOST: "redis", REDIS_PORT: "6380", MAX_EXPIRE: "7d" }, ["--port", "9001", "--log-level=debug"]);
    expect(config).toMatchObject({ port: 9001, redisHost: "redis", redisPort: 6380, logLevel: "debug" });
    expect(config.limits.maxExpireSeconds).toBe(7 * 86400);
  });

  it.each([
    [{ PORT: "eighty" }, /^invalid PORT="eighty"/],
    [{ PORT: "70000" }, /^invalid PORT/],
    [{ REDIS_URL: "http://x" }, /^invalid REDIS_URL=\(hidden\)/],
    [{ LOG_LEVEL: "loud" }, /^invalid LOG_LEVEL/],
    [{ KEY_PREFIX: "a b" }, /^invalid KEY_PREFIX/],
    [{ MAX_BODY_BYTES: "10" }, /^invalid MAX_BODY_BYTES/],
    [{ DEFAULT_EXPIRE: "40d" }, /^invalid DEFAULT_EXPIRE/],
    [{ REDIS_URL: "redis://a", REDIS_HOST: "b" }, /^invalid REDIS_HOST/],
  ])("rejects %j naming the variable", (env, message) => {
    expect(() => loadConfig(env)).toThrow(message);
  });

  it("rejects unknown flags", () => {
    expect(() => loadConfig({}, ["--prot", "1"])).toThrow(/unknown option --prot/);
  });

  it("documents every setting in --help", () => {
    const help = helpText();
    for (const setting of SETTINGS) expect(help).toContain(setting.env);
  });

  it("lists every setting with its default in the README's configuration table", () => {
    const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");
    for (const setting of SETTINGS) {
      const row = readme.split("\n").find((line) => line.startsWith(`| \`${setting.env}\` |`));
      expect(row, setting.env).toBeDefined();
      if (setting.fallback) expect(row).toContain(`\`${setting.fallback}\``);
    }
  });

  it("masks secrets for logging", () => {
    const config = loadConfig({ REDIS_URL: "redis://:hunter2@redis:6379", API_KEY: "k3y" });
    const shown = JSON.stringify(redactedConfig(config));
    expect(shown).not.toContain("hunter2");
    expect(shown).not.toContain("k3y");
  });
});
