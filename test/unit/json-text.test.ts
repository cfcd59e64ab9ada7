import { describe, expect, it } from "vitest";
import { MEMO_MAX_CHARS, jsonWith, memoUsage, stringJson } from "../../handlers/json-text.js";
import { frameJson, parseStoredRecord, recordJson, type SessionRecord } from "../../handlers/sessions/record.js";
import { decodeMessage, frameMessage } from "../../handlers/streaming/message.js";

// Every character JSON escapes, a lone surrogate (escaped by well-formed JSON.stringify) and markup.
const awkward = (n: number) => `<svg a="${n}">"\\\n\r\t\u0000\u001f\u2028\ud800 ✓ ${"x".repeat(300)}</svg>`;

const record = (over: Partial<SessionRecord> = {}): SessionRecord => ({
  id: "s-1",
  template: awkward(1),
  args: { label: 'a "b"', n: 1, nested: { list: [1, null, "x"] } },
  frame: awkward(2),
  incarnation: 1_700_000_000_000_042,
  version: 7,
  tokenHash: "ab".repeat(32),
  createdAt: 1_700_000_000_000,
  updatedAt: 1_700_000_000_500,
  expiresAt: 1_700_000_060_000,
  ...over,
});

describe("JSON text from parts encoded once", () => {
  it("encodes a string as JSON.stringify does, short or long, kept or not", () => {
    for (const text of ["", "short \"q\"", awkward(3), awkward(3), "y".repeat(MEMO_MAX_CHARS / 16 + 1)]) {
      expect(stringJson(text)).toBe(JSON.stringify(text));
    }
  });

  it("keeps long texts within its bound, emptied when full", () => {
    const size = 10_000;
    const before = memoUsage().entries; // the other tests' texts
    for (let i = 0; i < (3 * MEMO_MAX_CHARS) / size; i++) {
      const text = `${i}`.padEnd(size, "z");
      expect(stringJson(text)).toBe(JSON.stringify(text));
      const { entries, chars } = memoUsage();
      expect(chars).toBeLessThanOrEqual(MEMO_MAX_CHARS);
      // Each entry is the text and its encoding, at least 2 × size characters.
      expect(entries).toBeLessThanOrEqual(before + MEMO_MAX_CHARS / (2 * size));
    }
    expect(memoUsage().entries).toBeGreaterThan(0);
  });

  it("appends encoded fields to an object's JSON, empty or not, and puts others first", () => {
    expect(jsonWith({}, '"a":1')).toBe('{"a":1}');
    expect(jsonWith({}, '"a":1', '"b":2')).toBe('{"b":2,"a":1}');
    expect(jsonWith({ x: 1 }, '"a":1', '"b":2')).toBe('{"b":2,"x":1,"a":1}');
    expect(JSON.parse(jsonWith({ x: [1], y: undefined, z: "q" }, `"a":${JSON.stringify(awkward(4))}`))).toEqual({ x: [1], z: "q", a: awkward(4) });
  });
});

describe("a record's JSON", () => {
  it("is the value JSON.stringify makes, with every optional field", () => {
    const full = record({ kind: "html", width: 400, height: 120, lifetime: "never", renew: true });
    for (const r of [record(), full]) {
      expect(JSON.parse(recordJson(r))).toEqual(JSON.parse(JSON.stringify(r)));
      expect(parseStoredRecord(recordJson(r))).toEqual(r);
    }
  });

  it("begins with the incarnation and version as digits where both are safe integers (the Redis scripts read them there)", () => {
    const r = record({ version: 12 });
    expect(recordJson(r).startsWith(`{"incarnation":${r.incarnation},"version":12,"id":`)).toBe(true);
    // Anything else keeps JSON.stringify's order, which the scripts decode.
    for (const odd of [record({ version: 1.5 }), record({ incarnation: -1 }), { ...record(), incarnation: undefined as unknown as number }]) {
      const text = recordJson(odd);
      expect(text.startsWith('{"id":')).toBe(true);
      expect(JSON.parse(text)).toEqual(JSON.parse(JSON.stringify(odd)));
    }
  });

  it("shares the frame's encoding with the announcement, and never a stale one", () => {
    const first = record();
    const message = frameMessage(first);
    expect(decodeMessage(message)).toEqual({ type: "frame", incarnation: first.incarnation, version: 7, frame: first.frame, expiresAt: first.expiresAt });
    expect(JSON.parse(recordJson(first)).frame).toBe(first.frame);
    // Another record, and the same record given another frame: each encoded afresh.
    const second = record({ frame: awkward(5), version: 8 });
    expect(JSON.parse(recordJson(second)).frame).toBe(awkward(5));
    expect(JSON.parse(frameJson(first))).toBe(awkward(2));
    first.frame = awkward(6);
    expect(JSON.parse(frameJson(first))).toBe(awkward(6));
    expect(decodeMessage(frameMessage(first))).toMatchObject({ frame: awkward(6), version: 7 });
  });
});
