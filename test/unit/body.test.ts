import { describe, expect, it } from "vitest";
import { readBody, readJsonBody, setBodyDeadline, setBodySource, type BodySource } from "../../handlers/http/body.js";

const request = () => new Request("http://x/", { method: "POST", headers: { "Content-Type": "application/json" }, body: '{"from": "stream"}' });
const source = (outcome: Awaited<ReturnType<BodySource["read"]>>, seen: { limit: number; timeoutMs: number }[] = []): BodySource => ({
  read: async (limit, timeoutMs) => {
    seen.push({ limit, timeoutMs });
    return outcome;
  },
});

describe("a host's body source", () => {
  it("is read instead of the web stream, with the limit and what is left of the deadline", async () => {
    const r = request();
    setBodyDeadline(r, 5_000);
    const seen: { limit: number; timeoutMs: number }[] = [];
    setBodySource(r, source(new TextEncoder().encode('{"from": "host"}'), seen));
    expect(await readJsonBody(r, 1234)).toEqual({ from: "host" });
    expect(seen).toHaveLength(1);
    expect(seen[0]!.limit).toBe(1234);
    expect(seen[0]!.timeoutMs).toBeGreaterThan(4_000);
    expect(seen[0]!.timeoutMs).toBeLessThanOrEqual(5_000);
    expect(r.bodyUsed).toBe(false);
  });

  it("turns its outcomes into the web-stream path's errors", async () => {
    const cases = [
      ["too_large", 413, "payload_too_large"],
      ["timed_out", 408, "request_timeout"],
      ["closed", 499, "client_closed_request"],
    ] as const;
    for (const [outcome, status, code] of cases) {
      const r = request();
      setBodySource(r, source(outcome));
      await expect(readBody(r, 100)).rejects.toMatchObject({ status, code });
    }
  });

  it("is not asked when the declared length is already over the limit", async () => {
    const r = new Request("http://x/", { method: "POST", headers: { "Content-Length": "500" }, body: "x".repeat(500) });
    const seen: { limit: number; timeoutMs: number }[] = [];
    setBodySource(r, source(new Uint8Array(0), seen));
    await expect(readBody(r, 100)).rejects.toMatchObject({ status: 413 });
    expect(seen).toHaveLength(0);
  });
});
