import { describe, expect, it } from "vitest";
import { DEFAULT_LIMITS } from "../../handlers/options.js";
import { Renderer } from "../../handlers/rendering/liquid.js";
import { mergeArgs } from "../../handlers/sessions/args.js";

const renderer = new Renderer(DEFAULT_LIMITS);
const code = (code: string) => expect.objectContaining({ status: 400, code });

/** `{"a": {"a": … 1 …}}`, `levels` objects deep (the outer one included), as JSON.parse builds it. */
const nested = (levels: number): Record<string, unknown> =>
  JSON.parse('{"a":'.repeat(levels - 1) + "{}" + "}".repeat(levels - 1)) as Record<string, unknown>;

describe("args depth (MAX_ARGS_DEPTH)", () => {
  it("allows exactly MAX_ARGS_DEPTH levels, args itself being the first", () => {
    expect(DEFAULT_LIMITS.maxArgsDepth).toBe(32);
    expect(() => renderer.checkArgs(nested(32))).not.toThrow();
    expect(() => renderer.checkArgs(nested(33))).toThrow(code("args_too_deep"));
  });

  it("counts arrays as levels too", () => {
    const shallow = new Renderer({ ...DEFAULT_LIMITS, maxArgsDepth: 3 });
    expect(() => shallow.checkArgs({ a: [[1]] })).not.toThrow();
    expect(() => shallow.checkArgs({ a: [[[1]]] })).toThrow(code("args_too_deep"));
    expect(() => shallow.checkArgs({ a: [1, { b: {} }] })).toThrow(code("args_too_deep"));
  });

  it("refuses args nested 5,000 deep (a 10 KB body) with 400, where JSON.stringify overflowed the stack", () => {
    const deep = nested(5_000);
    expect(() => JSON.stringify(deep)).toThrow(RangeError);
    expect(() => renderer.checkArgs(deep)).toThrow(code("args_too_deep"));
    const deepArray = JSON.parse("[".repeat(100_000) + "]".repeat(100_000)) as unknown;
    expect(() => renderer.checkArgs({ a: deepArray })).toThrow(code("args_too_deep"));
  });
});

describe("args keys (MAX_ARGS_KEYS)", () => {
  const keys = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, i]));

  it("allows MAX_ARGS_KEYS keys and array elements in all, and refuses one more", () => {
    expect(DEFAULT_LIMITS.maxArgsKeys).toBe(1_000);
    expect(() => renderer.checkArgs(keys(1_000))).not.toThrow();
    expect(() => renderer.checkArgs(keys(1_001))).toThrow(code("args_too_many_keys"));
  });

  it("counts at every level, array elements included", () => {
    const few = new Renderer({ ...DEFAULT_LIMITS, maxArgsKeys: 5 });
    expect(() => few.checkArgs({ a: { b: 1, c: 2 }, d: [1] })).not.toThrow(); // a, b, c, d, 1
    expect(() => few.checkArgs({ a: { b: 1, c: 2 }, d: [1, 2] })).toThrow(code("args_too_many_keys"));
  });
});

describe("args characters", () => {
  it.each([
    ["a C0 control in a value", { a: "x\u0007y" }],
    ["NUL in a value", { a: "\u0000" }],
    ["a C0 control in a key", { "k\u001F": 1 }],
    ["a C0 control in an array element", { a: ["ok", "\u000B"] }],
    ["a C0 control deep inside", { a: { b: [{ c: "\u0001" }] } }],
    ["an unpaired surrogate", { a: "\uD83D" }],
    ["U+FFFF", { a: "\uFFFF" }],
  ])("refuses %s with invalid_args", (_name, args) => {
    expect(() => renderer.checkArgs(args)).toThrow(code("invalid_args"));
  });

  it("names the character and the key", () => {
    expect(() => renderer.checkArgs({ label: "a\u0008" })).toThrow(/the args value of "label" holds U\+0008/);
  });

  it("allows tab, LF, CR, DEL and every other character, emoji included", () => {
    expect(() => renderer.checkArgs({ a: "\t\n\r\u007F é 한국어 🚀 \uFFFD" })).not.toThrow();
  });
});

describe("args are data: any key is a plain key", () => {
  const fromJson = (json: string) => JSON.parse(json) as Record<string, unknown>;

  it("a PATCH merge keeps __proto__ and constructor as own keys, without touching any prototype", () => {
    const current = fromJson('{"n": 1, "__proto__": "old"}');
    const merged = mergeArgs(current, fromJson('{"__proto__": {"polluted": true}, "constructor": "c", "n": 2}'));
    expect(Object.keys(merged)).toEqual(["n", "__proto__", "constructor"]);
    expect(Object.getPrototypeOf(merged)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(merged, "__proto__")?.value).toEqual({ polluted: true });
    expect(JSON.parse(JSON.stringify(merged))).toEqual(fromJson('{"n": 2, "__proto__": {"polluted": true}, "constructor": "c"}'));
    expect(({} as Record<string, unknown>)["polluted"]).toBeUndefined();
    expect(Object.getOwnPropertyDescriptor(current, "__proto__")?.value).toBe("old");
    expect(current["n"]).toBe(1);
  });

  it("a null removes __proto__ like any key", () => {
    const merged = mergeArgs(fromJson('{"__proto__": 1, "a": 2}'), fromJson('{"__proto__": null}'));
    expect(Object.keys(merged)).toEqual(["a"]);
  });

  it("a merge keeps the current keys' order, removes nulls, adds new keys last, and changes neither input", () => {
    const current = { a: 1, b: 2, c: 3 };
    const change = { b: null, c: 30, d: 4, e: null };
    const merged = mergeArgs(current, change);
    expect(Object.entries(merged)).toEqual([["a", 1], ["c", 30], ["d", 4]]);
    expect(current).toEqual({ a: 1, b: 2, c: 3 });
    expect(change).toEqual({ b: null, c: 30, d: 4, e: null });
    for (const key of Object.keys(merged)) {
      expect(Object.getOwnPropertyDescriptor(merged, key)).toMatchObject({ writable: true, enumerable: true, configurable: true });
    }
  });

  it("renders such keys as plain arguments, and nothing from a prototype", async () => {
    const args = mergeArgs({}, fromJson('{"__proto__": "P", "constructor": "C", "toString": "T"}'));
    expect(await renderer.render(renderer.parse("{{ __proto__ }}|{{ constructor }}|{{ toString }}"), args)).toBe("P|C|T");
    expect(await renderer.render(renderer.parse("{{ constructor }}|{{ __proto__ }}|{{ n.constructor }}"), { n: 1 })).toBe("||");
  });
});
