import { describe, expect, it } from "vitest";
import { parseDuration, parseExpire } from "../../handlers/sessions/expire.js";

describe("parseDuration", () => {
  it.each([
    [90, 90],
    ["90", 90],
    ["90s", 90],
    ["15m", 900],
    ["2h", 7200],
    ["1d", 86400],
    [" 3 h ", 10800],
  ])("reads %j as %d seconds", (input, seconds) => {
    expect(parseDuration(input)).toBe(seconds);
  });

  it.each([0, -5, 1.5, "", "abc", "1w", "1.5h", "-1m", "0s", "1h30m", null, {}, [], Number.NaN])(
    "rejects %j",
    (input) => {
      expect(parseDuration(input)).toBeNull();
    },
  );
});

describe("parseExpire", () => {
  it("falls back to the default when absent", () => {
    expect(parseExpire(undefined, 86400, 100000)).toBe(86400);
  });

  it("rejects a lifetime above the maximum with invalid_expire", () => {
    expect(() => parseExpire("31d", 86400, 30 * 86400)).toThrow(expect.objectContaining({ status: 400, code: "invalid_expire" }));
  });

  it("rejects malformed values with invalid_expire", () => {
    expect(() => parseExpire("soon", 86400, 30 * 86400)).toThrow(expect.objectContaining({ code: "invalid_expire" }));
  });
});
