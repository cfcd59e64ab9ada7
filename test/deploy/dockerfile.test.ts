/**
 * No Docker engine runs here, so the Dockerfile is checked for what it must say, and its runtime
 * stage is replayed: in a fresh directory, the lockfile's production dependencies only
 * (`npm ci --omit=dev`, taken from the Dockerfile itself), the compiled server, then its CMD —
 * proving that nothing at run time needs a dev dependency — and its HEALTHCHECK.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { access, copyFile, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { createInterface } from "node:readline";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readMultipart } from "../support/multipart.js";
import { execForm, parseDockerfile, runCommand, type Stage } from "./support/dockerfile.js";
import { repoRoot, run } from "./support/tools.js";

const dockerfile = parseDockerfile(await readFile(join(repoRoot, "Dockerfile"), "utf8"));
const runtime: Stage = dockerfile.stages.at(-1)!;
const instructions = (stage: Stage, keyword: string) => stage.instructions.filter((instruction) => instruction.keyword === keyword);
const resolveArgs = (text: string) => text.replace(/\$\{(\w+)\}|\$(\w+)/g, (_, a: string, b: string) => dockerfile.globalArgs[a ?? b] ?? "");

describe("the Dockerfile", () => {
  it("builds in one stage and runs in another, both on a current LTS Node image", () => {
    expect(dockerfile.stages.length).toBeGreaterThanOrEqual(2);
    for (const stage of dockerfile.stages) {
      const image = resolveArgs(stage.from);
      const major = Number(/^node:(\d+)/.exec(image)?.[1]);
      // Even-numbered majors become LTS; 22 is the oldest still maintained.
      expect(major % 2 === 0 && major >= 22, `${image} should be a current LTS Node image`).toBe(true);
    }
  });

  it("compiles with npm ci and the build script, and installs only production dependencies to run", () => {
    const build = dockerfile.stages[0]!;
    expect(instructions(build, "RUN").map(runCommand)).toEqual(expect.arrayContaining([expect.stringMatching(/^npm ci\b/), "npm run build"]));
    const installs = instructions(runtime, "RUN").map(runCommand);
    expect(installs).toHaveLength(1);
    expect(installs[0]).toMatch(/^npm ci .*--omit=dev/);
    expect(instructions(runtime, "COPY").map((copy) => copy.args)).toContain("--from=build /app/dist ./dist");
  });

  it("runs as a non-root user, exposes 8080 and starts the server like `npm run serve`", async () => {
    const user = instructions(runtime, "USER").at(-1)?.args ?? "root";
    expect(user).toMatch(/^[1-9]\d*(:\d+)?$/); // numeric, so Kubernetes can verify runAsNonRoot
    expect(instructions(runtime, "EXPOSE").map((expose) => expose.args)).toEqual(["8080"]);
    const serve = (JSON.parse(await readFile(join(repoRoot, "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts["serve"];
    // The script execs node so npm's shell does not stand between a signal and the server; the
    // image runs node as PID 1 directly, so the same command without the exec.
    expect(serve).toMatch(/^exec /);
    expect(execForm(instructions(runtime, "CMD").at(-1)!.args).join(" ")).toBe(serve!.replace(/^exec /, ""));
  });

  it("checks health on /health with Node's fetch (alpine images have no curl)", () => {
    const healthcheck = instructions(runtime, "HEALTHCHECK").at(-1)!;
    const command = execForm(healthcheck.args);
    expect(command[0]).toBe("node");
    expect(command.join(" ")).toMatch(/fetch\(.*\/health/);
  });

  it("sends only what the build needs (.dockerignore)", async () => {
    const ignored = (await readFile(join(repoRoot, ".dockerignore"), "utf8")).split("\n").filter((line) => line && !line.startsWith("#"));
    expect(ignored).toEqual(expect.arrayContaining([".git", "node_modules", "dist", "test", "deploy"]));
    for (const needed of ["package.json", "package-lock.json", "tsconfig.json", "tsconfig.build.json", "handlers", "runtime"]) {
      expect(ignored, needed).not.toContain(needed);
    }
  });
});

describe("the runtime stage, replayed without Docker", () => {
  let dir: string;
  let server: ChildProcess | undefined;
  let url: string;
  const env = () => {
    const values: Record<string, string> = { PATH: process.env["PATH"] ?? "", HOME: process.env["HOME"] ?? "" };
    for (const instruction of instructions(runtime, "ENV")) {
      const [name = "", value = ""] = instruction.args.split("=", 2);
      values[name] = value;
    }
    return values;
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "realtime-svg-image-"));
    // The build stage's output, compiled straight into the fresh directory (the repo's dist/ stays as it is).
    await run(process.execPath, [join(repoRoot, "node_modules", "typescript", "bin", "tsc"), "-p", "tsconfig.build.json", "--outDir", join(dir, "dist")], { cwd: repoRoot });
    for (const file of ["package.json", "package-lock.json"]) await copyFile(join(repoRoot, file), join(dir, file));
    for (const instruction of instructions(runtime, "RUN")) {
      // npm's cache is the one the machine has (the Dockerfile mounts one too); prefer it over the network.
      await run("sh", ["-c", runCommand(instruction)], { cwd: dir, env: { ...env(), npm_config_prefer_offline: "true", npm_config_cache: process.env["npm_config_cache"] ?? join(process.env["HOME"] ?? "", ".npm") } });
    }
  }, 300_000);

  afterAll(async () => {
    if (server && server.exitCode === null) server.kill("SIGKILL");
    await rm(dir, { recursive: true, force: true });
  });

  it("installs the lockfile's production dependencies and not one dev dependency", async () => {
    const lock = JSON.parse(await readFile(join(dir, "package-lock.json"), "utf8")) as { packages: Record<string, { dev?: boolean; optional?: boolean }> };
    const installed = Object.entries(lock.packages).filter(([path]) => path.startsWith("node_modules/"));
    const present = async (path: string) => access(join(dir, path)).then(() => true, () => false);
    const devPresent = [];
    for (const [path, entry] of installed) if (entry.dev && (await present(path))) devPresent.push(path);
    expect(devPresent).toEqual([]);
    const prodMissing = [];
    for (const [path, entry] of installed) if (!entry.dev && !entry.optional && !(await present(path))) prodMissing.push(path);
    expect(prodMissing).toEqual([]);
    // Nothing above the fresh directory could lend a package to the server.
    for (let parent = dirname(dir); parent !== dirname(parent); parent = dirname(parent)) {
      expect(await present(relative(dir, join(parent, "node_modules"))), `${parent}/node_modules`).toBe(false);
    }
  });

  it("starts the server with the image's CMD, answers /health and the HEALTHCHECK passes", async () => {
    const [command, ...args] = execForm(instructions(runtime, "CMD").at(-1)!.args);
    const child = spawn(command === "node" ? process.execPath : command!, args, {
      cwd: dir,
      // A free port, chosen by the kernel; no Redis settings: the in-memory store.
      env: { ...env(), PORT: "0", HOST: "127.0.0.1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    server = child;
    const output: string[] = [];
    child.stderr!.on("data", (chunk) => output.push(String(chunk)));
    url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`server did not start:\n${output.join("")}`)), 20_000);
      child.once("exit", (code) => reject(new Error(`server exited with ${code}:\n${output.join("")}`)));
      createInterface({ input: child.stdout! }).on("line", (line) => {
        output.push(line);
        const entry = JSON.parse(line) as { msg?: string; url?: string; store?: string };
        if (entry.msg === "listening" && entry.url) {
          clearTimeout(timer);
          expect(entry.store).toBe("memory");
          resolve(entry.url);
        }
      });
    });
    expect((await fetch(`${url}/health`)).status).toBe(200);

    const [check, ...checkArgs] = execForm(instructions(runtime, "HEALTHCHECK").at(-1)!.args);
    await run(check === "node" ? process.execPath : check!, checkArgs, { env: { ...env(), PORT: new URL(url).port } });
  }, 30_000);

  it("streams a session's image", async () => {
    const created = await fetch(`${url}/api/session`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ session_id: "image-check", template: '<svg xmlns="http://www.w3.org/2000/svg"><text>{{ word }}</text></svg>', args: { word: "hello" } }),
    });
    expect(created.status).toBe(201);
    const controller = new AbortController();
    const response = await fetch(`${url}/stream/image-check`, { signal: controller.signal });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^multipart\/x-mixed-replace/);
    const stream = readMultipart(response);
    try {
      expect(await stream.next(5_000)).toContain("<text>hello</text>");
    } finally {
      stream.close();
      controller.abort();
    }
  });

  it("stops cleanly on SIGTERM", async () => {
    const exited = new Promise<number | null>((resolve) => server!.once("exit", (code) => resolve(code)));
    server!.kill("SIGTERM");
    expect(await exited).toBe(0);
  });
});
