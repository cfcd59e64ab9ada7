#!/usr/bin/env node
/**
 * realtime-svg: the command-line client (package.json `bin`). Node built-ins and fetch only, so
 * it runs wherever the package is installed, with no dependency of the server loaded.
 */
import { parseCommand, USAGE, UsageError, type Command } from "./command.js";

const NAME = "realtime-svg";

/** What ends the run: the exit code and the one line on stderr saying why. */
class Failure extends Error {
  constructor(
    readonly exitCode: number,
    message: string,
  ) {
    super(message);
  }
}

const REFUSED = 1;
const USAGE_ERROR = 2;
const UNREACHABLE = 3;

/** One line, however the server or the network put it. */
const oneLine = (text: string, max = 300) => {
  const line = text.replace(/\s+/g, " ").trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
};

function describeFetchError(error: unknown, url: string, timeoutMs: number): string {
  if (error instanceof DOMException && (error.name === "TimeoutError" || error.name === "AbortError")) {
    return `no answer from ${url} within ${timeoutMs / 1000} s`;
  }
  // undici puts the system error (ECONNREFUSED, ENOTFOUND, a TLS failure) in `cause`.
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
  const detail = cause instanceof Error ? cause.message : String(cause);
  return `cannot reach ${url}: ${detail}`;
}

async function call(command: Exclude<Command, { kind: "help" }>, method: string, path: string, body?: unknown): Promise<unknown> {
  const origin = command.url;
  const headers: Record<string, string> = { Accept: "application/json", "User-Agent": `${NAME}-cli` };
  if ("token" in command) headers.Authorization = `Bearer ${command.token}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let response: Response;
  let text: string;
  try {
    const signal = AbortSignal.timeout(command.timeoutMs);
    response = await fetch(`${origin}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal,
      // A redirect (http → https, a moved host) would resend the token, or turn a PATCH into a GET.
      redirect: "manual",
    });
    text = await response.text();
  } catch (error) {
    throw new Failure(UNREACHABLE, describeFetchError(error, origin, command.timeoutMs));
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  if (response.status >= 300 && response.status < 400) {
    const location = response.headers.get("location") ?? "elsewhere";
    throw new Failure(REFUSED, `${response.status} from ${origin}: it redirects to ${oneLine(location, 200)}; give that server as --url`);
  }
  if (!response.ok) {
    const problem = parsed as { error?: unknown; code?: unknown } | undefined;
    if (problem && typeof problem.error === "string" && typeof problem.code === "string") {
      throw new Failure(REFUSED, `${response.status} ${problem.code}: ${oneLine(problem.error)}`);
    }
    const said = oneLine(text, 120);
    throw new Failure(REFUSED, `${response.status} ${response.statusText || "error"} from ${origin}${said ? `: ${said}` : ""}`);
  }
  if (parsed === undefined || parsed === null || typeof parsed !== "object") {
    throw new Failure(REFUSED, `${response.status} from ${origin}${path} is not a realtime-svg answer (not a JSON object)`);
  }
  return parsed;
}

const sessionPath = (id: string) => `/api/session/${encodeURIComponent(id)}`;

async function run(command: Command): Promise<string> {
  switch (command.kind) {
    case "help":
      return USAGE.trimEnd();
    case "get":
      return JSON.stringify(await call(command, "GET", sessionPath(command.id)), null, 2);
    case "set": {
      const answer = (await call(command, command.replace ? "PUT" : "PATCH", sessionPath(command.id), { args: command.args })) as {
        version?: unknown;
      };
      if (typeof answer.version !== "number") throw new Failure(REFUSED, "the server's answer names no version");
      return String(answer.version);
    }
    case "rotate-token": {
      const answer = (await call(command, "POST", `${sessionPath(command.id)}/token`)) as { write_token?: unknown };
      if (typeof answer.write_token !== "string") throw new Failure(REFUSED, "the server's answer holds no write_token");
      return answer.write_token;
    }
  }
}

async function main(): Promise<number> {
  try {
    const output = await run(parseCommand(process.argv.slice(2), process.env));
    process.stdout.write(`${output}\n`);
    return 0;
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`${NAME}: ${error.message}\n`);
      return USAGE_ERROR;
    }
    if (error instanceof Failure) {
      process.stderr.write(`${NAME}: ${error.message}\n`);
      return error.exitCode;
    }
    process.stderr.write(`${NAME}: ${oneLine(error instanceof Error ? error.message : String(error))}\n`);
    return REFUSED;
  }
}

process.exitCode = await main();
