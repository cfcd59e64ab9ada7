/** The edge entry's settings: the rows of the shared table (runtime/config.ts) whose hosts include
 *  "edge" — the Upstash bindings plus the settings it shares with the Node host, parsed the same way. */
import { afterEach, describe, expect, it, vi } from "vitest";
import { DEFAULT_LIMITS } from "../handlers/options.js";
import { ConfigError, loadConfig, SETTINGS } from "../runtime/config.js";
import { EDGE_SETTINGS, loadEdgeConfig } from "../runtime/edge/config.js";

const upstash = { UPSTASH_REDIS_REST_URL: "https://eu1-example.upstash.io", UPSTASH_REDIS_REST_TOKEN: "secret-token" };

describe("edge configuration", () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it("needs only the Upstash URL and token; everything else has the Node host's defaults", () => {
    expect(loadEdgeConfig(upstash)).toEqual({
      upstashUrl: upstash.UPSTASH_REDIS_REST_URL,
      upstashToken: upstash.UPSTASH_REDIS_REST_TOKEN,
      keyPrefix: "rsvg:",
      apiKey: undefined,
      publicUrl: undefined,
      heartbeatMs: undefined,
      limits: DEFAULT_LIMITS,
    });
  });

  it("reads the shared settings the way the Node host does", () => {
    const shared = {
      API_KEY: "k",
      KEY_PREFIX: "team-a:",
      PUBLIC_URL: "https://img.example.com",
      MAX_EXPIRE: "7d",
      DEFAULT_EXPIRE: "2h",
      KEEP_ALIVE_MS: "15000",
      MAX_FRAME_BYTES: "65536",
    };
    const config = loadEdgeConfig({ ...upstash, ...shared });
    const node = loadConfig(shared);
    expect(config).toMatchObject({ apiKey: "k", keyPrefix: "team-a:", publicUrl: "https://img.example.com" });
    expect(config.limits).toEqual(node.limits);
    expect(config.limits.maxExpireSeconds).toBe(7 * 24 * 3600);
    expect(loadEdgeConfig({ ...upstash, UPSTASH_HEARTBEAT_MS: "60000" }).heartbeatMs).toBe(60_000);
  });

  it("rejects a bad shared setting with the Node host's message, hiding secrets", () => {
    const message = (env: Record<string, unknown>) => {
      try {
        loadEdgeConfig(env);
      } catch (error) {
        expect(error).toBeInstanceOf(ConfigError);
        return (error as Error).message;
      }
      throw new Error("no error");
    };
    expect(message({ ...upstash, KEY_PREFIX: "has space" })).toMatch(/^invalid KEY_PREFIX="has space": expected/);
    expect(message({ ...upstash, MAX_EXPIRE: "1h", DEFAULT_EXPIRE: "2h" })).toMatch(/DEFAULT_EXPIRE/);
    expect(message({})).toBe("missing UPSTASH_REDIS_REST_URL");
    expect(message({ UPSTASH_REDIS_REST_TOKEN: "t" })).toBe("missing UPSTASH_REDIS_REST_URL");
    expect(message({ ...upstash, UPSTASH_REDIS_REST_URL: "redis://localhost:6379" })).toMatch(/expected an https URL/);
    expect(message({ UPSTASH_REDIS_REST_URL: upstash.UPSTASH_REDIS_REST_URL })).toBe("missing UPSTASH_REDIS_REST_TOKEN");
    expect(message({ ...upstash, UPSTASH_REDIS_REST_URL: "" })).toBe("missing UPSTASH_REDIS_REST_URL");
    expect(message({ ...upstash, UPSTASH_REDIS_REST_URL: "not a url" })).toBe('invalid UPSTASH_REDIS_REST_URL="not a url": expected a URL');
    expect(message({ ...upstash, UPSTASH_HEARTBEAT_MS: "10" })).toBe(
      'invalid UPSTASH_HEARTBEAT_MS="10": expected a whole number from 1000 to 3600000',
    );
  });

  it("reads the settings whose hosts include edge, and ignores the Node host's own and bindings that are not strings", () => {
    expect(EDGE_SETTINGS).toEqual(SETTINGS.filter((s) => s.hosts.includes("edge")).map((s) => s.env));
    expect(EDGE_SETTINGS).not.toContain("PORT");
    expect(EDGE_SETTINGS).not.toContain("REDIS_URL");
    expect(EDGE_SETTINGS).toContain("API_KEY");
    expect(EDGE_SETTINGS).toContain("UPSTASH_REDIS_REST_URL");
    const config = loadEdgeConfig({ ...upstash, PORT: "not a port", REDIS_URL: "nonsense", KV: {}, API_KEY: 42, UPSTASH_HEARTBEAT_MS: 60000 });
    expect(config.apiKey).toBeUndefined();
    expect(config.heartbeatMs).toBeUndefined();
    expect(config).not.toHaveProperty("port");
  });

  it("the worker answers 500 misconfigured, naming the missing binding, and logs it once", async () => {
    const logged = vi.spyOn(console, "error").mockImplementation(() => {});
    vi.resetModules();
    // The edge assets import .wasm and .woff modules, which only the edge bundle can load.
    vi.doMock("../runtime/edge/assets.js", () => ({ edgeRenderAssets: () => undefined }));
    const { default: worker } = await import("../runtime/edge/worker.js");
    const context = { waitUntil: () => {} };
    for (let i = 0; i < 2; i++) {
      const response = await worker.fetch(new Request("http://edge.test/health"), {}, context);
      expect(response.status).toBe(500);
      expect(await response.json()).toEqual({
        code: "misconfigured",
        error: "the edge worker is misconfigured: missing UPSTASH_REDIS_REST_URL",
      });
    }
    expect(logged).toHaveBeenCalledTimes(1);
  });
});
