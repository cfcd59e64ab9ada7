import { describe, expect, it } from "vitest";
import { compareFrameIds, legacyIncarnation, newIncarnation, parseStoredRecord } from "../../handlers/sessions/record.js";

const stored = {
  id: "s",
  template: "<svg>{{ n }}</svg>",
  args: { n: 1 },
  frame: "<svg>1</svg>",
  incarnation: 1_700_000_000_000_500,
  version: 2,
  tokenHash: "ab".repeat(32),
  createdAt: 1_700_000_000_000,
  updatedAt: 1_700_000_000_000,
  expiresAt: 1_700_000_060_000,
};

describe("stored records", () => {
  it("parse back to what was stored", () => {
    expect(parseStoredRecord(JSON.stringify(stored))).toEqual(stored);
  });

  it("written before incarnations existed get one derived from their creation time", () => {
    const legacy: Partial<typeof stored> = { ...stored };
    delete legacy.incarnation;
    expect(parseStoredRecord(JSON.stringify(legacy))?.incarnation).toBe(legacyIncarnation(stored.createdAt));
  });

  it("keep no field this version does not know (e.g. the owner index's owner)", () => {
    expect(parseStoredRecord(JSON.stringify({ ...stored, owner: "alice" }))).not.toHaveProperty("owner");
  });

  it.each([
    ["not JSON", "{"],
    ["not an object", "[]"],
    ["without a frame", JSON.stringify({ ...stored, frame: undefined })],
    ["with a string version", JSON.stringify({ ...stored, version: "2" })],
    ["with args that are not an object", JSON.stringify({ ...stored, args: [1] })],
    ["with an unknown kind", JSON.stringify({ ...stored, kind: "gif" })],
  ])("are unreadable when %s", (_what, json) => {
    expect(parseStoredRecord(json)).toBeNull();
  });
});

describe("frame identity", () => {
  it("orders by incarnation first, then version", () => {
    expect(compareFrameIds({ incarnation: 2, version: 1 }, { incarnation: 1, version: 9 })).toBeGreaterThan(0);
    expect(compareFrameIds({ incarnation: 1, version: 3 }, { incarnation: 1, version: 2 })).toBeGreaterThan(0);
    expect(compareFrameIds({ incarnation: 1, version: 2 }, { incarnation: 1, version: 2 })).toBe(0);
  });

  it("gives a session re-created later an incarnation above its predecessor's, legacy ones included", () => {
    const created = 1_700_000_000_000;
    const first = newIncarnation(created);
    expect(first).toBeGreaterThan(legacyIncarnation(created));
    expect(newIncarnation(created + 1)).toBeGreaterThan(first);
    expect(Number.isSafeInteger(newIncarnation(Date.now() + 100 * 365 * 86_400_000))).toBe(true);
  });

  it("tells apart sessions created in the same millisecond (almost always)", () => {
    const seen = new Set(Array.from({ length: 50 }, () => newIncarnation(1_700_000_000_000)));
    expect(seen.size).toBeGreaterThan(40);
  });
});
