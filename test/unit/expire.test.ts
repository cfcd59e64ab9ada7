import { describe, expect, it } from "vitest";
import { AppError } from "../../handlers/http/errors.js";
import { parseDuration, parseExpire } from "../../handlers/sessions/expire.js";

const DAY = 86400;
const DEFAULT = DAY;
const MAX = 30 * DAY;

function expectInvalid(value: unknown, max = MAX): AppError {
  let error: unknown;
  try {
    parseExpire(value, DEFAULT, max);
  } catch (caught) {
    error = caught;
  }
  expect(error).toBeInstanceOf(AppError);
  expect(error).toMatchObject({ status: 400, code: "invalid_expire" });
  return error as AppError;
}

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

describe("parseDuration: numbers", () => {
  it.each([
    [1, 1],
    [3600, 3600],
    [1.0, 1],
    [Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
  ])("reads the positive integer %d as that many seconds", (input, seconds) => {
    expect(parseDuration(input)).toBe(seconds);
  });

  it.each([
    ["zero", 0],
    ["negative zero", -0],
    ["a negative integer", -1],
    ["a fraction", 0.5],
    ["a float", 90.25],
    ["the first unsafe integer", Number.MAX_SAFE_INTEGER + 1],
    ["a huge number", 1e21],
    ["infinity", Number.POSITIVE_INFINITY],
    ["minus infinity", Number.NEGATIVE_INFINITY],
    ["NaN", Number.NaN],
  ])("rejects %s", (_what, input) => {
    expect(parseDuration(input)).toBeNull();
  });
});

describe("parseDuration: strings", () => {
  it.each([
    ["1", 1],
    ["090", 90],
    ["999999999", 999999999],
    ["1s", 1],
    ["1m", 60],
    ["1h", 3600],
    ["1d", 86400],
    ["45m", 2700],
    ["999999999d", 999999999 * 86400],
  ])("reads %j as %d seconds", (input, seconds) => {
    expect(parseDuration(input)).toBe(seconds);
  });

  it.each([
    ["leading and trailing spaces", "  90  ", 90],
    ["spaces between number and unit", "90   s", 90],
    ["a tab between number and unit", "2\th", 7200],
    ["surrounding newlines", "\n15m\n", 900],
  ])("tolerates %s", (_what, input, seconds) => {
    expect(parseDuration(input)).toBe(seconds);
  });

  it.each([
    ["ten digits", "1000000000"],
    ["ten digits with a unit", "1000000000s"],
    ["zero", "0"],
    ["zero with leading zeros", "000"],
    ["zero days", "0d"],
    ["a negative number", "-1"],
    ["a negative duration", "-1d"],
    ["an explicit plus sign", "+5"],
    ["a decimal fraction", "1.5"],
    ["a decimal point", "1.0"],
    ["exponent notation", "1e3"],
    ["a hexadecimal number", "0x10"],
    ["an upper-case unit", "1H"],
    ["an upper-case day unit", "1D"],
    ["a spelled-out unit", "1 hour"],
    ["a unit without a number", "h"],
    ["the unit first", "s90"],
    ["two units", "1hs"],
    ["a space inside the number", "9 0"],
    ["a thousands separator", "1,000"],
    ["an underscore separator", "1_000"],
    ["non-ASCII digits", "\u0663"],
    ["full-width digits", "\uff19\uff10"],
    ["only whitespace", "   "],
    ["a trailing dot", "90."],
  ])("rejects %s (%j)", (_what, input) => {
    expect(parseDuration(input)).toBeNull();
  });

  it.each([
    ["true", true],
    ["false", false],
    ["undefined", undefined],
    ["a bigint", 90n],
    ["an array holding a number", [90]],
    ["a Number object", new Number(90)],
    ["a String object", new String("90")],
  ])("rejects %s, which is neither a number nor a string", (_what, input) => {
    expect(parseDuration(input)).toBeNull();
  });
});

describe("parseExpire", () => {
  it("falls back to the default when absent", () => {
    expect(parseExpire(undefined, 86400, 100000)).toBe(86400);
  });

  it("falls back to the default when null", () => {
    expect(parseExpire(null, 1234, 100000)).toBe(1234);
  });

  it("returns the parsed lifetime, not the default, when one is given", () => {
    expect(parseExpire("15m", DEFAULT, MAX)).toBe(900);
    expect(parseExpire(60, DEFAULT, MAX)).toBe(60);
  });

  it("accepts a lifetime of exactly the maximum, in any spelling", () => {
    expect(parseExpire(MAX, DEFAULT, MAX)).toBe(MAX);
    expect(parseExpire(String(MAX), DEFAULT, MAX)).toBe(MAX);
    expect(parseExpire("30d", DEFAULT, MAX)).toBe(MAX);
    expect(parseExpire("720h", DEFAULT, MAX)).toBe(MAX);
    expect(parseExpire("43200m", DEFAULT, MAX)).toBe(MAX);
  });

  it("rejects one second above the maximum with invalid_expire", () => {
    const error = expectInvalid(MAX + 1);
    expect(error.message).toContain(String(MAX));
    expectInvalid(`${MAX + 1}s`);
  });

  it("rejects a lifetime above the maximum with invalid_expire", () => {
    expect(() => parseExpire("31d", 86400, 30 * 86400)).toThrow(expect.objectContaining({ status: 400, code: "invalid_expire" }));
    expectInvalid("721h");
    expectInvalid("999999999d");
  });

  it("rejects malformed values with invalid_expire", () => {
    expect(() => parseExpire("soon", 86400, 30 * 86400)).toThrow(expect.objectContaining({ code: "invalid_expire" }));
  });

  it.each([
    ["zero", 0],
    ["the string zero", "0s"],
    ["an empty string", ""],
    ["a negative number", -60],
    ["a float", 1.5],
    ["ten digits", "1234567890"],
    ["an unsafe integer", 2 ** 53],
    ["a boolean", false],
    ["an object", { seconds: 60 }],
  ])("rejects %s with invalid_expire instead of using the default", (_what, value) => {
    const error = expectInvalid(value);
    expect(error.message).toMatch(/positive number of seconds/);
  });

  it("applies the maximum it is given", () => {
    expect(parseExpire("1m", DEFAULT, 60)).toBe(60);
    expectInvalid("61", 60);
  });
});
