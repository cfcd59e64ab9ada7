/**
 * RenderDeadline, the html kind's render budget: it bills satori's own work and pauses while
 * satori waits for fonts and emoji. Fake timers; `setSystemTime` moves the clock without running
 * timers, as synchronous layout work does.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { RenderDeadline } from "../../handlers/rendering/deadline.js";

const BUDGET = 100;

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

/** Synchronous work: the clock moves, no timer can run. */
const work = (ms: number) => vi.setSystemTime(Date.now() + ms);

function deadline() {
  const clock = new RenderDeadline(BUDGET, () => new Error("over budget"), () => Date.now());
  const state = { expired: false };
  clock.expired.catch(() => (state.expired = true));
  return { clock, state };
}

/** An asset load that takes `ms` of waiting (timers run meanwhile). */
const load = (ms: number) => () => new Promise<string>((resolve) => setTimeout(() => resolve("font"), ms));

describe("RenderDeadline", () => {
  it("does not bill time spent waiting for assets, however long", async () => {
    const { clock, state } = deadline();
    work(30);
    const loaded = clock.pause(load(400));
    await vi.advanceTimersByTimeAsync(400);
    await expect(loaded).resolves.toBe("font");
    work(30);
    expect(clock.billed()).toBe(60);
    expect(clock.waitedMs).toBe(400);
    expect(clock.overran).toBe(false);
    expect(state.expired).toBe(false);
  });

  it("counts overlapping waits once", async () => {
    const { clock } = deadline();
    const first = clock.pause(load(300));
    await vi.advanceTimersByTimeAsync(100);
    const second = clock.pause(load(300));
    await vi.advanceTimersByTimeAsync(300);
    await Promise.all([first, second]);
    expect(clock.waitedMs).toBe(400);
    expect(clock.billed()).toBe(0);
  });

  it("bills the work around the waits, and its timer fires for what is left of the budget", async () => {
    const { clock, state } = deadline();
    work(60);
    const loaded = clock.pause(load(400));
    await vi.advanceTimersByTimeAsync(400);
    await loaded;
    expect(state.expired).toBe(false);
    // 60 ms billed before the wait: 40 left.
    await vi.advanceTimersByTimeAsync(39);
    expect(state.expired).toBe(false);
    await vi.advanceTimersByTimeAsync(2);
    expect(state.expired).toBe(true);
    expect(clock.overran).toBe(true);
  });

  it("is not fired by its timer during a wait", async () => {
    const { clock, state } = deadline();
    work(90);
    const loaded = clock.pause(load(1_000));
    await vi.advanceTimersByTimeAsync(1_000);
    await loaded;
    expect(state.expired).toBe(false);
    expect(clock.billed()).toBe(90);
  });

  it("refuses to start a load once the work alone overran, so satori stops instead of laying out again", async () => {
    const { clock, state } = deadline();
    work(BUDGET + 1);
    const started = vi.fn(load(10));
    await expect(clock.pause(started)).rejects.toThrow("over budget");
    expect(started).not.toHaveBeenCalled();
    await Promise.resolve();
    expect(state.expired).toBe(true);
  });

  it("reports an overrun by synchronous work, which no timer can interrupt", () => {
    const { clock } = deadline();
    work(BUDGET + 50);
    expect(clock.overran).toBe(true);
  });

  it("stays silent once stopped", async () => {
    const { clock, state } = deadline();
    clock.stop();
    await vi.advanceTimersByTimeAsync(BUDGET * 10);
    expect(state.expired).toBe(false);
    expect(vi.getTimerCount()).toBe(0);
  });
});
