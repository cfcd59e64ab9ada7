import { describe, expect, it } from "vitest";
import { createLogger } from "../../runtime/node/logger.js";

function capture() {
  const lines: Record<string, unknown>[] = [];
  return { lines, destination: { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) } };
}

describe("the logger", () => {
  it("stamps each line with the time as ISO 8601, as pino's isoTime does", () => {
    const { lines, destination } = capture();
    const log = createLogger("info", destination);
    const before = Date.now();
    log.info({ path: "/x" }, "request");
    const after = Date.now();
    const time = lines[0]!["time"] as string;
    expect(time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(Date.parse(time)).toBeGreaterThanOrEqual(before);
    expect(Date.parse(time)).toBeLessThanOrEqual(after);
    expect(lines[0]).toMatchObject({ level: 30, service: "realtime-svg", path: "/x", msg: "request" });
  });

  it("masks secrets whatever the caller passes", () => {
    const { lines, destination } = capture();
    const log = createLogger("info", destination);
    log.info({ authorization: "Bearer rsvg_x", headers: { authorization: "Bearer rsvg_y" }, config: { apiKey: "k", redisPassword: "p" }, write_token: "rsvg_z" }, "m");
    const line = JSON.stringify(lines[0]);
    for (const secret of ["rsvg_x", "rsvg_y", "rsvg_z", '"k"', '"p"']) expect(line).not.toContain(secret);
    expect(lines[0]).toMatchObject({ authorization: "***", headers: { authorization: "***" }, config: { apiKey: "***", redisPassword: "***" }, write_token: "***" });
  });
});
