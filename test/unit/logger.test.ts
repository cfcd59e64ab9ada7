import { describe, expect, it } from "vitest";
import { createLogger, infoLineWriter } from "../../runtime/node/logger.js";
import { loggedPath } from "../../runtime/node/request-log.js";

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

  it("writes the line log.info writes when the fields come encoded, and none below its level", () => {
    const { lines, destination } = capture();
    const log = createLogger("info", destination);
    const fields = { method: "PATCH", path: '/api/session/a"b', status: 200, ms: 3, completed: true, ua: "curl/8 \u2028 ✓" };
    log.info(fields, "request");
    infoLineWriter(log)(Object.entries(fields).map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`).join(","), "request");
    expect(lines).toHaveLength(2);
    const [pinos, ours] = lines.map(({ time, ...rest }) => ({ rest, time: typeof time }));
    expect(ours).toEqual(pinos);
    expect(Object.keys(lines[1]!)).toEqual(Object.keys(lines[0]!));
    log.level = "warn";
    infoLineWriter(log)('"a":1', "request");
    expect(lines).toHaveLength(2);
  });

  it("masks a hook's credential and secret query values in logged paths, and leaves the rest as they are", () => {
    const cases: [string, string][] = [
      ["/api/session/a", "/api/session/a"],
      ["/stream/a?keep_alive=5000", "/stream/a?keep_alive=5000"],
      ["/hook/h1/s3cret", "/hook/h1/***"],
      ["/hook/h1/s3cret?x=1", "/hook/h1/***?x=1"],
      ["/hook/h1", "/hook/h1"],
      ["/svg/a?token=t1&x=2&write_token=t2", "/svg/a?token=***&x=2&write_token=***"],
      ["/svg/a?API_KEY=k", "/svg/a?API_KEY=***"],
      ["/svg/a&token=t3", "/svg/a&token=***"],
    ];
    for (const [path, logged] of cases) expect(loggedPath(path)).toBe(logged);
  });
});
