import { describe, expect, it } from "vitest";
import type { SessionRecord } from "../../handlers/sessions/record.js";
import { decodeMessage, endMessage, frameMessage } from "../../handlers/streaming/message.js";

const record: SessionRecord = {
  id: "s",
  template: "<svg/>",
  args: {},
  frame: '<svg xmlns="http://www.w3.org/2000/svg">line\nbreak "quoted" ✓</svg>',
  incarnation: 1_700_000_000_000_042,
  version: 7,
  tokenHash: "ab".repeat(32),
  createdAt: 1_700_000_000_000,
  updatedAt: 1_700_000_000_000,
  expiresAt: 1_700_000_060_000,
};

describe("channel messages", () => {
  it("encode a frame on one line and decode it back exactly", () => {
    const payload = frameMessage(record);
    expect(payload).not.toMatch(/[\r\n]/);
    expect(decodeMessage(payload)).toEqual({
      type: "frame",
      incarnation: record.incarnation,
      version: 7,
      frame: record.frame,
      expiresAt: record.expiresAt,
    });
  });

  it("carry only the frame, never the template, arguments or token hash", () => {
    const payload = frameMessage(record);
    expect(payload).not.toContain(record.tokenHash);
    expect(JSON.parse(payload)).not.toHaveProperty("args");
    expect(JSON.parse(payload)).not.toHaveProperty("template");
  });

  it("encode an end with the incarnation it ends", () => {
    expect(decodeMessage(endMessage(42))).toEqual({ type: "end", reason: "deleted", incarnation: 42 });
  });

  it("decode what older replicas sent: frames and ends without an incarnation", () => {
    expect(decodeMessage('{"type":"frame","version":3,"frame":"<svg/>","expiresAt":5}')).toEqual({
      type: "frame",
      version: 3,
      frame: "<svg/>",
      expiresAt: 5,
    });
    expect(decodeMessage('{"type":"end","reason":"expired"}')).toEqual({ type: "end", reason: "expired" });
    expect(decodeMessage('{"type":"end"}')).toEqual({ type: "end", reason: "deleted" });
  });

  it.each([
    ["not JSON", "{"],
    ["a JSON string", '"frame"'],
    ["null", "null"],
    ["an array", "[1,2]"],
    ["an unknown type", '{"type":"heartbeat"}'],
    ["a frame without a version", '{"type":"frame","frame":"<svg/>","expiresAt":5}'],
    ["a frame whose version is a string", '{"type":"frame","version":"3","frame":"<svg/>","expiresAt":5}'],
    ["a frame whose frame is not a string", '{"type":"frame","version":3,"frame":{},"expiresAt":5}'],
    ["a frame without an expiry", '{"type":"frame","version":3,"frame":"<svg/>"}'],
    ["a frame whose incarnation is a string", '{"type":"frame","incarnation":"1","version":3,"frame":"<svg/>","expiresAt":5}'],
    ["an end whose incarnation is a string", '{"type":"end","incarnation":"1"}'],
  ])("decode %s to null", (_what, payload) => {
    expect(decodeMessage(payload)).toBeNull();
  });
});
