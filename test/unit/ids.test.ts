import { describe, expect, it } from "vitest";
import { isSessionId, parseSessionId } from "../../handlers/sessions/ids.js";

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
    expect(isSessionId(id)).toBe(false);
    expect(() => parseSessionId(id)).toThrow(expect.objectContaining({ status: 400, code: "invalid_session_id" }));
  });

  it("rejects values that are not strings", () => {
    expect(isSessionId(42)).toBe(false);
  });
});
