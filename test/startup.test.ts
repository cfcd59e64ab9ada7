/**
 * A server that cannot start says why in one line naming the setting, and exits 2: a port in
 * use, an address that is not this machine's, an unreadable setting. And `npm start` runs the
 * server as npm's own child, so the signals npm forwards reach it.
 */
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("..", import.meta.url));

/** Runs the real entry point to its exit. */
function run(env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ["--import", "tsx", "runtime/node/main.ts"], {
    cwd: root,
    env: { PATH: process.env.PATH ?? "", HOST: "127.0.0.1", PORT: "0", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (chunk) => (stdout += String(chunk)));
  child.stderr!.on("data", (chunk) => (stderr += String(chunk)));
  const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
  return new Promise((resolve) =>
    child.once("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    }),
  );
}

describe("startup errors", () => {
  let taken: Server;
  let port: number;
  beforeAll(async () => {
    taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", resolve));
    port = (taken.address() as { port: number }).port;
  });
  afterAll(() => {
    taken.close();
  });

  it.each([
    ["a port in use", () => ({ PORT: String(port) }), () => `realtime-svg: PORT=${port} is in use on 127.0.0.1\n`],
    ["an address of another machine", () => ({ HOST: "192.0.2.1" }), () => "realtime-svg: HOST=192.0.2.1 is not an address of this machine\n"],
    ["a HOST that is no address or name", () => ({ HOST: "not a host!" }), () => /^realtime-svg: invalid HOST="not a host!": expected an IP address or a host name/],
    ["an unreadable setting", () => ({ CORS_ORIGINS: "ftp://files.example" }), () => /^realtime-svg: invalid CORS_ORIGINS="ftp:\/\/files.example": /],
    ["REDIS_URL and REDIS_SENTINELS at once", () => ({ REDIS_URL: "redis://127.0.0.1:1", REDIS_SENTINELS: "127.0.0.1:2", REDIS_SENTINEL_MASTER: "m" }), () => "realtime-svg: invalid REDIS_SENTINELS: set either REDIS_URL or REDIS_SENTINELS, not both\n"],
    ["REDIS_SENTINELS without REDIS_SENTINEL_MASTER", () => ({ REDIS_SENTINELS: "127.0.0.1:2" }), () => /^realtime-svg: missing REDIS_SENTINEL_MASTER/],
    ["an unreadable REDIS_CA_FILE", () => ({ REDIS_HOST: "127.0.0.1", REDIS_TLS: "true", REDIS_CA_FILE: "/nonexistent/ca.pem" }), () => /^realtime-svg: invalid REDIS_CA_FILE="\/nonexistent\/ca.pem": cannot read it \(ENOENT\)/],
    ["a MAX_CONNECTIONS too small to serve", () => ({ MAX_CONNECTIONS: "10" }), () => /^realtime-svg: invalid MAX_CONNECTIONS="10": expected a whole number from 128/],
  ])("%s: one line on stderr naming the setting, exit code 2", async (_name, env, expected) => {
    const { code, stdout, stderr } = await run(env());
    expect(code).toBe(2);
    const message = expected();
    if (typeof message === "string") expect(stderr).toBe(message);
    else expect(stderr).toMatch(message);
    expect(stderr.trim().split("\n")).toHaveLength(1);
    expect(`${stdout}${stderr}`).not.toMatch(/\n\s+at /);
  });
});

describe("npm start", () => {
  it("builds in prestart and runs the server itself as npm's child, so npm's forwarded SIGTERM reaches it", () => {
    const { scripts } = JSON.parse(readFileSync(`${root}/package.json`, "utf8")) as { scripts: Record<string, string> };
    expect(scripts.prestart).toMatch(/\bnpm run build\b/);
    // npm runs a script with `sh -c` and signals that shell; dash (Debian's sh) neither execs a
    // lone command nor passes SIGTERM on, so without `exec` the server outlived `npm start`.
    // No `&&` chain either: the build is prestart's.
    expect(scripts.start).toBe("exec node dist/runtime/node/main.js");
    expect(scripts.serve).toBe("exec node dist/runtime/node/main.js");
  });
});
