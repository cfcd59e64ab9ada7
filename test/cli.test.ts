import { spawn } from "node:child_process";
import { createServer, type Server, type Socket } from "node:net";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningServer } from "../runtime/node/server.js";
import { memoryPorts } from "../runtime/stores/memory.js";
import { readMultipart } from "./support/multipart.js";
import { startInProcess } from "./support/server.js";

const root = fileURLToPath(new URL("..", import.meta.url));
const TEMPLATE = '<svg xmlns="http://www.w3.org/2000/svg" width="160" height="20"><text y="15">build: {{ status }}</text></svg>';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The CLI as a user runs it, from source through tsx, with only the environment given (and PATH). */
function cli(args: string[], env: Record<string, string> = {}): Promise<Run> {
  const child = spawn(process.execPath, ["--import", "tsx", "runtime/cli/main.ts", ...args], {
    cwd: root,
    env: { PATH: process.env.PATH ?? "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk) => (stdout += String(chunk)));
  child.stderr.on("data", (chunk) => (stderr += String(chunk)));
  return new Promise((resolve) => child.once("close", (code) => resolve({ code, stdout, stderr })));
}

/** Exactly one line on stderr, nothing on stdout: what every failure must look like. */
function expectOneErrorLine(run: Run, code: number, pattern: RegExp): void {
  expect(run.stdout).toBe("");
  expect(run.stderr.endsWith("\n")).toBe(true);
  expect(run.stderr.trimEnd().split("\n")).toHaveLength(1);
  expect(run.stderr.trimEnd()).toMatch(pattern);
  expect(run.code).toBe(code);
}

describe("the realtime-svg command-line client", () => {
  let server: RunningServer;
  let base: string;
  let closedPort: number;
  let silent: Server;
  let silentUrl: string;
  const held: Socket[] = [];
  let counter = 0;

  async function create(args: Record<string, unknown> = { status: "running" }): Promise<{ id: string; token: string }> {
    const id = `cli${++counter}-${Math.random().toString(36).slice(2, 8)}`;
    const response = await fetch(`${base}/api/session`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ session_id: id, template: TEMPLATE, args }),
    });
    expect(response.status).toBe(201);
    return { id, token: ((await response.json()) as { write_token: string }).write_token };
  }
  const argsOf = async (id: string) => ((await (await fetch(`${base}/api/session/${id}`)).json()) as { args: unknown }).args;

  beforeAll(async () => {
    server = await startInProcess(memoryPorts());
    base = server.url;
    // A port nothing listens on: bound, noted, closed.
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
    closedPort = (probe.address() as { port: number }).port;
    await new Promise((resolve) => probe.close(resolve));
    // A server that accepts connections and never answers.
    silent = createServer((socket) => held.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    silentUrl = `http://127.0.0.1:${(silent.address() as { port: number }).port}`;
  });
  afterAll(async () => {
    for (const socket of held) socket.destroy();
    await new Promise((resolve) => silent.close(resolve));
    await server.shutdown();
  });

  it("`set ID status=passed` updates the session an open stream shows, prints the new version, exits 0", async () => {
    const { id, token } = await create();
    const stream = readMultipart(await fetch(`${base}/stream/${id}`));
    expect(await stream.next(2_000)).toContain("build: running");

    const run = await cli(["set", id, "status=passed"], { REALTIME_SVG_URL: base, REALTIME_SVG_TOKEN: token });
    console.log(`$ realtime-svg set ${id} status=passed → exit ${run.code}, stdout ${JSON.stringify(run.stdout)}, stderr ${JSON.stringify(run.stderr)}`);
    expect(run).toEqual({ code: 0, stdout: "2\n", stderr: "" });
    expect(await stream.next(2_000)).toContain("build: passed");
    stream.close();
    expect(await argsOf(id)).toEqual({ status: "passed" });
  });

  it("a wrong token exits 1 with one line on stderr saying the server refused it, and changes nothing", async () => {
    const { id } = await create();
    const run = await cli(["set", id, "status=passed", "--url", base, "--token", "rsvg_not-the-token"]);
    console.log(`$ realtime-svg set ${id} status=passed --token rsvg_not-the-token → exit ${run.code}, stderr ${JSON.stringify(run.stderr)}`);
    expectOneErrorLine(run, 1, /^realtime-svg: 403 forbidden: the token does not grant access to this session$/);
    expect(await argsOf(id)).toEqual({ status: "running" });
  });

  it("says what the server refused: a missing session, invalid arguments", async () => {
    const { id, token } = await create();
    expectOneErrorLine(await cli(["set", "no-such-session", "a=1", `--url=${base}`, `--token=${token}`]), 1, /^realtime-svg: 404 not_found: /);
    expectOneErrorLine(await cli(["set", id, "bad=\u0001", `--url=${base}`, `--token=${token}`]), 1, /^realtime-svg: 400 invalid_args: /);
    expectOneErrorLine(await cli(["get", "no-such-session", `--url=${base}`]), 1, /^realtime-svg: 404 not_found: /);
  });

  it("sends key:=json as JSON (numbers, booleans, arrays, null removes) and key=value as a string", async () => {
    const { id, token } = await create({ status: "running", gone: "x" });
    const run = await cli(["set", id, "n:=5", "ok:=true", 'tags:=["a",1]', "gone:=null", "label=5", "eq=a=b", "empty="], {
      REALTIME_SVG_URL: base,
      REALTIME_SVG_TOKEN: token,
    });
    expect(run).toEqual({ code: 0, stdout: "2\n", stderr: "" });
    expect(await argsOf(id)).toEqual({ status: "running", n: 5, ok: true, tags: ["a", 1], label: "5", eq: "a=b", empty: "" });
  });

  it("--replace replaces every argument (PUT)", async () => {
    const { id, token } = await create({ status: "running", other: "kept?" });
    const run = await cli(["set", "--replace", id, "status=failed"], { REALTIME_SVG_URL: base, REALTIME_SVG_TOKEN: token });
    expect(run).toEqual({ code: 0, stdout: "2\n", stderr: "" });
    expect(await argsOf(id)).toEqual({ status: "failed" });
  });

  it("flags win over the environment", async () => {
    const { id, token } = await create();
    const run = await cli(["set", id, "status=passed", "--url", base, "--token", token], {
      REALTIME_SVG_URL: `http://127.0.0.1:${closedPort}`,
      REALTIME_SVG_TOKEN: "rsvg_wrong",
    });
    expect(run.code).toBe(0);
  });

  it("`get ID` prints the session as JSON; `rotate-token ID` prints a new token and the old one stops working", async () => {
    const { id, token } = await create();
    const got = await cli(["get", id, "--url", base]);
    expect(got.code).toBe(0);
    expect(JSON.parse(got.stdout)).toMatchObject({ session_id: id, args: { status: "running" }, version: 1 });

    const rotated = await cli(["rotate-token", id], { REALTIME_SVG_URL: base, REALTIME_SVG_TOKEN: token });
    expect(rotated.code).toBe(0);
    const fresh = rotated.stdout.trim();
    expect(fresh).toMatch(/^rsvg_/);
    expectOneErrorLine(await cli(["set", id, "status=x", "--url", base, "--token", token]), 1, /^realtime-svg: 403 forbidden: /);
    expect((await cli(["set", id, "status=y", "--url", base, "--token", fresh])).code).toBe(0);
  });

  it("exits 3 with one line when the server cannot be reached, or does not answer in time", async () => {
    const unreachable = `http://127.0.0.1:${closedPort}`;
    const refused = await cli(["set", "any", "status=passed", "--url", unreachable, "--token", "t"]);
    console.log(`$ realtime-svg set any status=passed --url ${unreachable} → exit ${refused.code}, stderr ${JSON.stringify(refused.stderr)}`);
    expectOneErrorLine(refused, 3, new RegExp(`^realtime-svg: cannot reach ${unreachable}: .*ECONNREFUSED`));
    const silence = await cli(["get", "any", "--url", silentUrl, "--timeout", "0.5"]);
    expectOneErrorLine(silence, 3, new RegExp(`^realtime-svg: no answer from ${silentUrl} within 0.5 s$`));
  });

  it("exits 2 with one line on a usage error, before any request", async () => {
    // Every case points at a port nothing listens on: reaching for it would exit 3, not 2.
    const env = { REALTIME_SVG_URL: `http://127.0.0.1:${closedPort}`, REALTIME_SVG_TOKEN: "t" };
    const cases: Array<[string[], RegExp, Record<string, string>?]> = [
      [[], /no command given/],
      [["publish", "x"], /unknown command publish/],
      [["set"], /set needs a session id/],
      [["set", "x"], /set needs at least one key=value/],
      [["set", "x", "status"], /status is not key=value or key:=json/],
      [["set", "x", "=v"], /=v names no key/],
      [["set", "x", "n:=abc"], /n:=abc is not JSON after ":=" \(for a string write n=abc\)/],
      [["set", "x", "a=1", "--force"], /unknown option --force/],
      [["set", "x", "a=1", "--url"], /--url needs a value/],
      [["set", "x", "a=1", "--url", "localhost:8080"], /--url localhost:8080 is not an http or https URL/],
      [["set", "x", "a=1", "--url", "not a url"], /--url not a url is not a URL/],
      [["set", "x", "a=1", "--timeout", "0"], /--timeout 0 is not a number of seconds/],
      [["get", "x", "--replace"], /--replace goes with set only/],
      [["set", "x", "a=1"], /set needs a token: --token or REALTIME_SVG_TOKEN/, { REALTIME_SVG_URL: env.REALTIME_SVG_URL }],
    ];
    // Two at a time: each is a Node process starting tsx, and the machine may be running others.
    for (let i = 0; i < cases.length; i += 2) {
      const batch = cases.slice(i, i + 2);
      const runs = await Promise.all(batch.map(([args, , own]) => cli(args, own ?? env)));
      runs.forEach((run, j) => expectOneErrorLine(run, 2, new RegExp(`^realtime-svg: .*${batch[j]![1].source}`)));
    }
  }, 60_000);

  it("--help prints the usage on stdout and exits 0", async () => {
    const run = await cli(["--help"]);
    expect(run.code).toBe(0);
    expect(run.stderr).toBe("");
    expect(run.stdout).toContain("realtime-svg set ID key=value");
    expect(run.stdout).toContain("Exit codes:");
  });
});
