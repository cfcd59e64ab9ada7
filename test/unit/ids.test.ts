import { describe, expect, it } from "vitest";
import { AppError } from "../../handlers/http/errors.js";
import { isSessionId, parseSessionId } from "../../handlers/sessions/ids.js";

/** The whole alphabet a session id may use; the first character must also be a letter or digit. */
const ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const ALPHABET = `${ALNUM}._-`;

function expectRejected(value: unknown): void {
  expect(isSessionId(value)).toBe(false);
  let error: unknown;
  try {
    parseSessionId(value);
  } catch (caught) {
    error = caught;
  }
  expect(error).toBeInstanceOf(AppError);
  expect(error).toMatchObject({ status: 400, code: "invalid_session_id" });
}

describe("session ids", () => {
  it.each(["a", "build-status", "A.b_c-9", "0", "x".repeat(128)])("accepts %s", (id) => {
    expect(isSessionId(id)).toBe(true);
  });

  it.each([
    "",
    " ",
    "user:alice:session:x",
    "../x",
    "a/b",
    ".hidden",
    "-dash",
    "_under",
    "x".repeat(129),
    "white space",
    "ümlaut",
    "a\nb",
    "a%2Fb",
  ])("rejects %j", (id) => {
    expectRejected(id);
  });

  it("rejects values that are not strings", () => {
    expect(isSessionId(42)).toBe(false);
  });
});

describe("session id length", () => {
  it("accepts a single letter or digit", () => {
    expect(isSessionId("Z")).toBe(true);
    expect(isSessionId("7")).toBe(true);
  });

  it("accepts exactly 128 characters drawn from the whole alphabet", () => {
    const id = `a${ALPHABET.repeat(3)}`.slice(0, 128);
    expect(id).toHaveLength(128);
    expect(isSessionId(id)).toBe(true);
  });

  it("rejects 129 characters, whatever they are", () => {
    expectRejected("a".repeat(129));
    expectRejected(`0${"-".repeat(128)}`);
  });

  it("rejects the empty string", () => {
    expectRejected("");
  });
});

describe("session id first character", () => {
  it.each([...ALNUM])("accepts %j as the first character", (first) => {
    expect(isSessionId(`${first}x`)).toBe(true);
  });

  it.each([".", "_", "-"])("rejects %j as the first character but accepts it later", (char) => {
    expectRejected(`${char}x`);
    expectRejected(char);
    expect(isSessionId(`x${char}`)).toBe(true);
    expect(isSessionId(`x${char}${char}y`)).toBe(true);
  });

  it("rejects a path-traversal id", () => {
    expectRejected("..");
    expectRejected("../etc");
  });
});

describe("session id characters", () => {
  const forbiddenAscii = Array.from({ length: 128 }, (_, code) => String.fromCharCode(code)).filter(
    (char) => !ALPHABET.includes(char),
  );

  it("checks every ASCII character: the 65 of the alphabet pass, the other 63 do not", () => {
    expect(forbiddenAscii).toHaveLength(128 - 65);
    for (const char of ALPHABET) expect(isSessionId(`a${char}b`), JSON.stringify(char)).toBe(true);
  });

  it.each(forbiddenAscii.map((char) => [JSON.stringify(char), char]))(
    "rejects the ASCII character %s in the middle, at the end and at the start",
    (_shown, char) => {
      expectRejected(`a${char}b`);
      expectRejected(`ab${char}`);
      expectRejected(`${char}ab`);
    },
  );

  it.each([
    ["a colon, which separates store key parts", "session:1"],
    ["a slash", "a/b"],
    ["a backslash", "a\\b"],
    ["a space", "a b"],
    ["a tab", "a\tb"],
    ["a trailing newline", "abc\n"],
    ["a leading newline", "\nabc"],
    ["a carriage return", "abc\r"],
    ["a NUL", "abc\u0000"],
    ["a glob star", "user*"],
    ["a glob question mark", "user?"],
    ["glob brackets", "user[12]"],
    ["a percent-encoded slash", "a%2Fb"],
    ["a Latin-1 letter", "caf\u00e9"],
    ["a Cyrillic look-alike of a", "\u0430bc"],
    ["a full-width letter", "\uff41bc"],
    ["a non-breaking space", "a\u00a0b"],
    ["a zero-width space", "a\u200bb"],
    ["a line separator", "a\u2028b"],
    ["an emoji", "build-\u{1F680}"],
    ["a lone surrogate", "a\ud800"],
    ["a non-ASCII digit", "\u0663"],
  ])("rejects an id with %s", (_what, id) => {
    expectRejected(id);
  });
});

describe("session id types", () => {
  it.each([
    ["a number", 42],
    ["zero", 0],
    ["null", null],
    ["undefined", undefined],
    ["a boolean", true],
    ["an object", { id: "abc" }],
    ["an array of a valid id", ["abc"]],
    ["a String object", new String("abc")],
    ["a bigint", 10n],
    ["a symbol", Symbol("abc")],
  ])("rejects %s", (_what, value) => {
    expectRejected(value);
  });
});

describe("parseSessionId", () => {
  it("returns a valid id unchanged", () => {
    expect(parseSessionId("Build.Status_2-x")).toBe("Build.Status_2-x");
  });

  it("explains the rule in its error", () => {
    expect(() => parseSessionId("a:b")).toThrow(/1-128 characters/);
  });
});
