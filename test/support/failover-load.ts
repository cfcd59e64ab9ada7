/**
 * A steady write load for failover tests: one writer PATCHing a session's `n` one write after
 * another, through the given servers in turn, recording every answer. Used to show what a
 * failover does to writes (which statuses, for how long) and that nothing answered 200 is lost
 * or applied twice.
 */
import { expect } from "vitest";
import type { ServerProcess } from "./server.js";

export interface WriteAnswer {
  n: number;
  status: number;
  /** The error code of a non-200 answer. */
  code?: string;
  /** The version of a 200 answer. */
  version?: number;
  startedAt: number;
  answeredAt: number;
}

export interface SteadyWriter {
  readonly answers: WriteAnswer[];
  /** Resolves with the first 200 answer to a write started after `since`. */
  firstOkAfter(since: number, timeoutMs: number): Promise<WriteAnswer>;
  /** The first write answered 200 that started after `since` is followed by a pause of `ms`
   *  (decided in the writer's own loop, so no write slips in between). */
  holdAfterFirstOk(since: number, ms: number): void;
  stop(): Promise<void>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function steadyWriter(servers: ServerProcess[], id: string, token: string, intervalMs = 40): SteadyWriter {
  const answers: WriteAnswer[] = [];
  let stopped = false;
  let hold: { since: number; ms: number; done: boolean } | undefined;
  const loop = (async () => {
    for (let n = 1; !stopped; n++) {
      const server = servers[n % servers.length]!;
      const startedAt = Date.now();
      let answer: WriteAnswer;
      try {
        const response = await fetch(`${server.url}/api/session/${id}`, {
          method: "PATCH",
          headers: { "Content-Type": "application/json", Authorization: `Bearer ${token}` },
          body: JSON.stringify({ args: { n } }),
          signal: AbortSignal.timeout(10_000),
        });
        const body = (await response.json()) as { version?: number; code?: string };
        answer = { n, status: response.status, startedAt, answeredAt: Date.now(), ...(response.ok ? { version: body.version } : { code: body.code }) };
      } catch (error) {
        answer = { n, status: 0, code: String(error), startedAt, answeredAt: Date.now() };
      }
      answers.push(answer);
      const holding = hold && !hold.done && answer.status === 200 && answer.startedAt > hold.since;
      if (holding) hold!.done = true;
      await sleep(holding ? hold!.ms : intervalMs);
    }
  })();
  return {
    answers,
    async firstOkAfter(since, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = answers.find((a) => a.status === 200 && a.startedAt > since);
        if (found) return found;
        if (Date.now() > deadline) throw new Error(`no write answered 200 within ${timeoutMs} ms; last: ${JSON.stringify(answers.slice(-3))}`);
        await sleep(20);
      }
    },
    holdAfterFirstOk(since, ms) {
      hold = { since, ms, done: false };
    },
    async stop() {
      stopped = true;
      await loop;
    },
  };
}

/**
 * Nothing lost, nothing doubled: versions of 200 answers strictly increase; between two 200s with
 * no other answer between them the version moved by exactly one; every non-200 is a 503 of the
 * two kinds a failover may bring; the stored record is the last write answered 200.
 */
export function expectConsistent(answers: WriteAnswer[], stored: { args: { n?: number }; version: number }): void {
  const others = answers.filter((a) => a.status !== 200);
  for (const a of others) {
    expect(a.status, JSON.stringify(a)).toBe(503);
    expect(["store_unavailable", "write_unconfirmed"]).toContain(a.code);
  }
  let previous: WriteAnswer | undefined;
  let sawOther = false;
  for (const a of answers) {
    if (a.status !== 200) {
      sawOther = true;
      continue;
    }
    if (previous) {
      expect(a.version!, `write ${a.n} after ${previous.n}`).toBeGreaterThan(previous.version!);
      if (!sawOther) expect(a.version! - previous.version!, `write ${a.n} right after ${previous.n}`).toBe(1);
    }
    previous = a;
    sawOther = false;
  }
  const last = answers.filter((a) => a.status === 200).at(-1)!;
  expect(stored.args.n).toBe(last.n);
  expect(stored.version).toBe(last.version);
}
