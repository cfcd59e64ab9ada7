import { describe, expect, it } from "vitest";
import { DEFAULT_LIMITS } from "../../handlers/options.js";
import { isTopLevelNavigation, parseStreamOptions } from "../../handlers/streaming/stream-options.js";

const parse = (query: string, headers: Record<string, string> = {}) => {
  const url = new URL(`http://x/stream/a${query}`);
  return parseStreamOptions(url, new Request(url, { headers }), DEFAULT_LIMITS);
};

describe("stream options", () => {
  it("defaults to the configured keep-alive and no extras", () => {
    expect(parse("")).toEqual({ keepAliveMs: 25_000, doubleFrame: false, delayedStartMs: 0, asBot: false });
  });

  it("reads keep_alive, double_frame, delayed_start and as_bot", () => {
    expect(parse("?keep_alive=5000&double_frame&delayed_start=200&as_bot=true")).toEqual({
      keepAliveMs: 5000,
      doubleFrame: true,
      delayedStartMs: 200,
      asBot: true,
    });
  });

  it.each(["?keep_alive=10", "?keep_alive=abc", "?delayed_start=-1", "?delayed_start=999999", "?double_frame=maybe"])(
    "rejects %s with invalid_query",
    (query) => {
      expect(() => parse(query)).toThrow(expect.objectContaining({ status: 400, code: "invalid_query" }));
    },
  );

  it("treats image proxies as bots", () => {
    expect(parse("", { "User-Agent": "github-camo (876de43e)" }).asBot).toBe(true);
  });

  it("recognises a top-level navigation", () => {
    expect(isTopLevelNavigation(new Request("http://x/", { headers: { "Sec-Fetch-Dest": "document" } }))).toBe(true);
    expect(isTopLevelNavigation(new Request("http://x/", { headers: { "Sec-Fetch-Dest": "image" } }))).toBe(false);
    expect(isTopLevelNavigation(new Request("http://x/", { headers: { Accept: "text/html,*/*" } }))).toBe(true);
    expect(isTopLevelNavigation(new Request("http://x/", { headers: { Accept: "*/*" } }))).toBe(false);
  });
});
