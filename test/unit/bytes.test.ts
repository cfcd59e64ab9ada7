import { describe, expect, it } from "vitest";
import { exceedsUtf8, utf8Length } from "../../handlers/bytes.js";

const encoded = (text: string) => new TextEncoder().encode(text).byteLength;

describe("utf8Length", () => {
  it("counts as TextEncoder encodes, lone surrogates as U+FFFD", () => {
    const cases = ["", "plain", "é", "€", "😀", "a😀b", "\ud800", "\udc00", "\ud800x", "x\udbff", "\udc00\ud800", "\ud83d\ude00\ud83d", "\u07ff\u0800\uffff"];
    for (const text of cases) expect(utf8Length(text), JSON.stringify(text)).toBe(encoded(text));
  });

  it("agrees with TextEncoder on random strings over every range", () => {
    const units = [0x41, 0x7f, 0x80, 0x7ff, 0x800, 0xd7ff, 0xd800, 0xdbff, 0xdc00, 0xdfff, 0xe000, 0xffff];
    let seed = 7;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31);
    for (let round = 0; round < 500; round++) {
      const text = String.fromCharCode(...Array.from({ length: next() % 40 }, () => units[next() % units.length]!));
      expect(utf8Length(text)).toBe(encoded(text));
    }
  });
});

describe("exceedsUtf8", () => {
  it("is utf8Length(text) > limit, at each side of the limit", () => {
    for (const text of ["abc", "ééé", "€€€", "😀😀", "a€😀\ud800"]) {
      const length = encoded(text);
      for (const limit of [0, length - 1, length, length + 1, 3 * text.length, 3 * text.length - 1]) {
        expect(exceedsUtf8(text, limit), `${JSON.stringify(text)} ${limit}`).toBe(length > limit);
      }
    }
  });
});
