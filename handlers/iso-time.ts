/**
 * `new Date(ms).toISOString()`, about eight times faster (0.05–0.07 µs against 0.43–0.46 µs) for
 * the times a session shows (a write's answer shows three) and every log line's: the date part
 * is kept for the last few days asked, the time of day is formatted from tables. Integral times
 * from 1970 to 9999 only; any other value goes to `toISOString` itself, which keeps its
 * RangeError for an invalid time.
 */
const DAY_MS = 86_400_000;
/** Beyond 9999-12-31T23:59:59.999Z toISOString writes a six-digit, signed year. */
const LAST_MS = 253_402_300_799_999;
const DAYS_KEPT = 4;

const pad = (n: number, width: number) => String(n).padStart(width, "0");
const TWO = Array.from({ length: 60 }, (_, n) => pad(n, 2));
const THREE = Array.from({ length: 1000 }, (_, n) => pad(n, 3));

const keptDays = new Array<number>(DAYS_KEPT).fill(-1);
const keptDates = new Array<string>(DAYS_KEPT).fill("");

export function isoTime(ms: number): string {
  if (!Number.isInteger(ms) || ms < 0 || ms > LAST_MS) return new Date(ms).toISOString();
  const day = Math.floor(ms / DAY_MS);
  const slot = day % DAYS_KEPT;
  if (keptDays[slot] !== day) {
    keptDays[slot] = day;
    keptDates[slot] = new Date(day * DAY_MS).toISOString().slice(0, 11); // "YYYY-MM-DDT"
  }
  let rest = ms - day * DAY_MS;
  const hours = Math.floor(rest / 3_600_000);
  rest -= hours * 3_600_000;
  const minutes = Math.floor(rest / 60_000);
  rest -= minutes * 60_000;
  const seconds = Math.floor(rest / 1000);
  return `${keptDates[slot]}${TWO[hours]}:${TWO[minutes]}:${TWO[seconds]}.${THREE[rest - seconds * 1000]}Z`;
}
