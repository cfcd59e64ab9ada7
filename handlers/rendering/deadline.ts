/**
 * The render deadline, billing only satori's own work. satori is async only while it waits for
 * fonts and emoji (loadAdditionalAsset); those waits — reading files, and whatever else the event
 * loop runs meanwhile — are paused out of the clock. Everything else between start and finish is
 * billed, CPU contention from other processes included: the clock is wall time, not CPU time.
 *
 * It cannot preempt satori's synchronous layout. It acts where it can: `pause` refuses to start a
 * load for a render that has already overrun, which makes satori reject instead of laying out
 * again; `overran` is checked once satori returns; and `expired` rejects if the budget runs out
 * while satori is suspended on anything but an asset (a timer can only fire then; in practice
 * satori awaits nothing else, so this is a backstop, and the render's result is discarded).
 *
 * A host that can preempt (the Node host's render processes, runtime/node/render-pool.ts) follows
 * the clock through `onChange` — running with what is billed so far, or paused for an asset — and
 * kills the render process a little past the budget, so the budget is hard there.
 */
/** The clock as a host sees it: billing (running) or paused for an asset, and what is billed so far. */
export interface ClockState {
  running: boolean;
  billedMs: number;
}

export class RenderDeadline {
  /** Rejects with the budget's error once the billed time is past it (checked when satori yields). */
  readonly expired: Promise<never>;
  private readonly started: number;
  private waited = 0;
  private waits = 0;
  private waitStarted = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private stopped = false;
  private reject!: (error: Error) => void;

  constructor(
    private readonly budgetMs: number,
    private readonly error: () => Error,
    private readonly now: () => number = () => performance.now(),
    private readonly onChange?: (state: ClockState) => void,
  ) {
    this.started = now();
    this.expired = new Promise<never>((_, reject) => (this.reject = reject));
    this.expired.catch(() => undefined);
    this.arm();
    this.onChange?.({ running: true, billedMs: 0 });
  }

  /** Milliseconds billed so far: elapsed time minus the time spent waiting for assets. */
  billed(): number {
    const now = this.now();
    return now - this.started - this.waited - (this.waits > 0 ? now - this.waitStarted : 0);
  }

  /** Assets waited for so far, ms. */
  get waitedMs(): number {
    return this.waited + (this.waits > 0 ? this.now() - this.waitStarted : 0);
  }

  get overran(): boolean {
    return this.billed() > this.budgetMs;
  }

  /** Runs one asset load with the clock stopped (overlapping loads count once). */
  async pause<T>(load: () => Promise<T>): Promise<T> {
    if (this.overran) {
      const error = this.error();
      this.reject(error);
      throw error;
    }
    if (this.waits++ === 0) {
      this.waitStarted = this.now();
      clearTimeout(this.timer);
      this.onChange?.({ running: false, billedMs: this.billed() });
    }
    try {
      return await load();
    } finally {
      if (--this.waits === 0) {
        this.waited += this.now() - this.waitStarted;
        this.arm();
        if (!this.stopped) this.onChange?.({ running: true, billedMs: this.billed() });
      }
    }
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  /** Sets the timer for what is left of the budget; a timer that fires early re-arms. */
  private arm(): void {
    clearTimeout(this.timer);
    if (this.stopped) return;
    if (this.overran) {
      this.reject(this.error());
      return;
    }
    this.timer = setTimeout(() => this.arm(), Math.max(1, Math.ceil(this.budgetMs - this.billed())));
  }
}
