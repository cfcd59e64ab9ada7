import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { SessionStore } from "../handlers/index.js";
import { ioredisPorts } from "../runtime/stores/ioredis.js";

type Writes = { _write: (...args: unknown[]) => void; _writev: (...args: unknown[]) => void };

/**
 * The command connection gathers the commands sent in one turn of the event loop into one write
 * (runtime/stores/ioredis.ts). Counted on the socket itself: Node's stream calls `_write` for a
 * lone chunk and `_writev` for what was buffered while corked.
 */
describe("commands sent in one turn leave in one write (one Redis)", () => {
  const prefix = `test-gather-${crypto.randomUUID()}:`;
  let ports: ReturnType<typeof ioredisPorts>;
  let socket: Writes;
  const calls = { write: 0, writev: 0, chunks: 0 };

  beforeAll(async () => {
    ports = ioredisPorts({ url: inject("redisUrl"), prefix });
    await ports.store.connect?.();
    // White-box: the store's command client's socket.
    const store = ports.store as unknown as { commands: { client: { stream: Writes } } };
    socket = store.commands.client.stream;
    const write = socket._write.bind(socket);
    const writev = socket._writev.bind(socket);
    socket._write = (...args) => {
      calls.write++;
      write(...args);
    };
    socket._writev = (...args) => {
      calls.writev++;
      calls.chunks += (args[0] as unknown[]).length;
      writev(...args);
    };
  });
  afterAll(async () => {
    await Promise.all([ports.store.close(), ports.broker.close()]);
  });

  const reset = () => Object.assign(calls, { write: 0, writev: 0, chunks: 0 });
  const reads = (store: SessionStore, count: number) => Array.from({ length: count }, (_, i) => store.get(`gather-${i}`));

  // A session not found under its key is looked for under its legacy key too (a record not yet
  // moved): two GETs, the second in the turn that brought the first's answer.
  it("20 reads started in one turn: one writev of their 20 GETs, then one of their 20 legacy GETs", async () => {
    reset();
    const answers = await Promise.all(reads(ports.store, 20));
    expect(answers).toEqual(Array.from({ length: 20 }, () => null));
    expect(calls).toEqual({ write: 0, writev: 2, chunks: 40 });
  });

  it("reads started in separate turns are each written in their turn", async () => {
    reset();
    for (let i = 0; i < 3; i++) {
      await new Promise((resolve) => setImmediate(resolve));
      await Promise.all(reads(ports.store, 1));
    }
    // A lone command in a turn still goes out corked and uncorked: a writev of one chunk, or a write.
    expect(calls.write + calls.writev).toBe(6);
  });

  it("a turn's commands are written before the next turn's start", async () => {
    reset();
    const first = Promise.all(reads(ports.store, 5));
    await new Promise((resolve) => setImmediate(resolve));
    expect(calls).toMatchObject({ writev: 1, chunks: 5 });
    await first;
  });
});
