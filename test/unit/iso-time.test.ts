import { describe, expect, it } from "vitest";
import { isoTime } from "../../handlers/iso-time.js";

const DAY = 86_400_000;
const LAST = 253_402_300_799_999; // 9999-12-31T23:59:59.999Z

describe("isoTime", () => {
  it("writes what toISOString writes, at every field's edges", () => {
    const T = 1_796_000_000_000;
    const day = Math.floor(T / DAY) * DAY;
    const edges = [0, 1, 999, 1000, 59_999, 60_000, 3_599_999, 3_600_000, DAY - 1, DAY, day, day - 1, day + DAY - 1, 951_782_400_000 /* 2000-02-29 */, 4_107_542_399_999, LAST - DAY, LAST];
    for (const ms of edges) expect(isoTime(ms)).toBe(new Date(ms).toISOString());
  });

  it("writes what toISOString writes for random times, asked in any order across many days", () => {
    let seed = 7;
    const random = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
    for (let i = 0; i < 5_000; i++) {
      // Nearby times (days share and evict the kept dates) and times anywhere up to 9999.
      const ms = i % 2 === 0 ? 1_796_000_000_000 + Math.floor(random() * 9 * DAY) : Math.floor(random() * LAST);
      expect(isoTime(ms)).toBe(new Date(ms).toISOString());
    }
  });

  it("leaves other times to toISOString: before 1970, after 9999, fractional, invalid", () => {
    for (const ms of [-1, -DAY - 5, LAST + 1, 8.64e15, 1_796_000_000_000.5]) expect(isoTime(ms)).toBe(new Date(ms).toISOString());
    expect(() => isoTime(Number.NaN)).toThrow(RangeError);
    expect(() => isoTime(8.64e15 + 1)).toThrow(RangeError);
  });
});
