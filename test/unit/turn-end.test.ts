import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { deferToTurnEnd, sendAtTurnEnd } from "../../runtime/node/turn-end.js";

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

describe("the end of an event-loop turn (Node host)", () => {
  it("runs the turn's sends, then its deferred work, once its callbacks and microtasks are done", async () => {
    const order: string[] = [];
    deferToTurnEnd(() => order.push("deferred 1"));
    sendAtTurnEnd(() => order.push("send 1"));
    queueMicrotask(() => order.push("microtask"));
    sendAtTurnEnd(() => order.push("send 2"));
    deferToTurnEnd(() => order.push("deferred 2"));
    order.push("callback");
    expect(order).toEqual(["callback"]);
    await turn();
    expect(order).toEqual(["callback", "microtask", "send 1", "send 2", "deferred 1", "deferred 2"]);
  });

  it("leaves what a task adds, sends included, to the next turn, so deferred work yields between turns", async () => {
    const order: string[] = [];
    deferToTurnEnd(() => {
      order.push("slice 1");
      deferToTurnEnd(() => order.push("slice 2"));
      sendAtTurnEnd(() => order.push("answer made during slice 1"));
    });
    setImmediate(() => order.push("another immediate"));
    await turn();
    await turn();
    await turn();
    expect(order).toEqual(["slice 1", "another immediate", "answer made during slice 1", "slice 2"]);
  });

  it("runs the turn's other tasks when one throws, then throws as an immediate's callback would", () => {
    const module = fileURLToPath(new URL("../../runtime/node/turn-end.ts", import.meta.url));
    const script = `
      const { sendAtTurnEnd, deferToTurnEnd } = await import(${JSON.stringify(module)});
      sendAtTurnEnd(() => { throw new Error("refused head"); });
      sendAtTurnEnd(() => console.log("second send"));
      deferToTurnEnd(() => console.log("deferred"));
    `;
    const child = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], { encoding: "utf8", timeout: 20_000 });
    expect(child.stdout.split("\n").filter(Boolean)).toEqual(["second send", "deferred"]);
    expect(child.stderr).toContain("refused head");
    expect(child.status).not.toBe(0);
  });
});
