import { describe, expect, it } from "vitest";
import { WriteQueue } from "../../handlers/sessions/write-queue.js";
import { record } from "./support/hub-doubles.js";

describe("the records a write queue keeps (WRITE_CACHE_BYTES)", () => {
  const commit = (queue: WriteQueue, id: string, version: number, frame = "<svg>1</svg>") =>
    queue.run(id, async () => null, async (_nothing, line) => line.committed(record(id, { version, frame })));

  it("knows what a session's writers last committed after its line has emptied, until told to forget", async () => {
    const queue = new WriteQueue(1 << 20);
    await commit(queue, "a", 2);
    await commit(queue, "a", 3);
    expect(queue.known("a")?.version).toBe(3);
    queue.forget("a");
    expect(queue.known("a")).toBeUndefined();
    queue.stored(record("b", { version: 1 }));
    expect(queue.known("b")?.version).toBe(1);
  });

  it("drops the least recently written first, and keeps nothing at 0", async () => {
    // Each record counts 2 × (12 + 18 + 2) + 512 = 576 bytes: 8 fit in 4,800.
    const queue = new WriteQueue(4_800);
    for (let i = 0; i < 8; i++) await commit(queue, `s${i}`, 2);
    expect(Array.from({ length: 8 }, (_, i) => queue.known(`s${i}`) !== undefined)).toEqual(Array(8).fill(true));
    expect(queue.known("s0")?.version).toBe(2); // s0 read again: s1 is the least recent now
    await commit(queue, "s8", 2);
    expect(queue.known("s1")).toBeUndefined();
    expect(queue.known("s0")?.version).toBe(2);
    expect(queue.known("s8")?.version).toBe(2);
    // A record counted past a quarter of the bound is not kept.
    await commit(queue, "big", 2, `<svg>${"x".repeat(1_000)}</svg>`);
    expect(queue.known("big")).toBeUndefined();

    const none = new WriteQueue(0);
    await commit(none, "a", 2);
    expect(none.known("a")).toBeUndefined();
  });
});
