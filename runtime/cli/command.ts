/**
 * The command line of the realtime-svg client, parsed into what to do. No I/O here: main.ts
 * runs the result, and a usage error is a value, so the one place that prints and exits stays
 * main.ts.
 */

export const DEFAULT_URL = "http://localhost:8080";
export const DEFAULT_TIMEOUT_SECONDS = 30;

export type Command =
  | { kind: "help" }
  | { kind: "set"; id: string; args: Record<string, unknown>; replace: boolean; url: string; token: string; timeoutMs: number }
  | { kind: "get"; id: string; url: string; timeoutMs: number }
  | { kind: "rotate-token"; id: string; url: string; token: string; timeoutMs: number };

export class UsageError extends Error {
  override readonly name = "UsageError";
}

export const USAGE = `Usage:
  realtime-svg set ID key=value… [--replace]   update a session's arguments (PATCH; PUT with --replace)
  realtime-svg get ID                          print the session as JSON
  realtime-svg rotate-token ID                 replace the write token; prints the new one
  realtime-svg --help

Arguments of set:
  key=value     a string:           status=passed   label="build #12"
  key:=json     any JSON value:     count:=5  ok:=true  tags:='["a","b"]'  gone:=null
                (with PATCH a null removes the key; the key ends at the first "=")

Options:
  --url URL       the server (env REALTIME_SVG_URL; default ${DEFAULT_URL})
  --token TOKEN   the session's write token or the server's API key (env REALTIME_SVG_TOKEN);
                  set and rotate-token need one
  --replace       set replaces all arguments instead of merging them
  --timeout S     seconds to wait for the server (env REALTIME_SVG_TIMEOUT; default ${DEFAULT_TIMEOUT_SECONDS})
  --help, -h      this text
  --              what follows is not an option

Prints the session's new version (set), the session (get) or the new token (rotate-token).
Exit codes: 0 done; 1 the server refused (the reason is printed); 2 usage error;
3 the server could not be reached or did not answer in time.
`;

const OPTIONS_WITH_VALUE = new Set(["--url", "--token", "--timeout"]);

/** One `key=value` or `key:=json` argument of set. */
export function parseAssignment(text: string): [string, unknown] {
  const equals = text.indexOf("=");
  if (equals < 0) throw new UsageError(`${text} is not key=value or key:=json`);
  const isJson = equals > 0 && text[equals - 1] === ":";
  const key = text.slice(0, isJson ? equals - 1 : equals);
  if (key === "") throw new UsageError(`${text} names no key`);
  const value = text.slice(equals + 1);
  if (!isJson) return [key, value];
  try {
    return [key, JSON.parse(value) as unknown];
  } catch {
    throw new UsageError(`${text} is not JSON after ":=" (for a string write ${key}=${value})`);
  }
}

function parseUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`--url ${text} is not a URL (e.g. ${DEFAULT_URL})`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new UsageError(`--url ${text} is not an http or https URL`);
  if (url.search || url.hash) throw new UsageError(`--url ${text} must have no query or fragment`);
  return url.href.replace(/\/+$/, "");
}

function parseTimeout(text: string): number {
  const seconds = Number(text);
  if (!/^\d+(\.\d+)?$/.test(text) || seconds <= 0 || seconds > 3600) {
    throw new UsageError(`--timeout ${text} is not a number of seconds from 0 to 3600`);
  }
  return seconds * 1000;
}

/** argv without node and the script; env for the REALTIME_SVG_* defaults. */
export function parseCommand(argv: readonly string[], env: Record<string, string | undefined>): Command {
  const options = new Map<string, string>();
  const positional: string[] = [];
  let replace = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--") {
      positional.push(...argv.slice(i + 1));
      break;
    }
    if (arg === "--help" || arg === "-h") return { kind: "help" };
    if (arg === "--replace") {
      replace = true;
      continue;
    }
    if (arg.startsWith("-") && arg !== "-") {
      const [name, inline] = arg.includes("=") ? [arg.slice(0, arg.indexOf("=")), arg.slice(arg.indexOf("=") + 1)] : [arg, undefined];
      if (!OPTIONS_WITH_VALUE.has(name)) throw new UsageError(`unknown option ${name} (see --help)`);
      const value = inline ?? argv[++i];
      if (value === undefined) throw new UsageError(`${name} needs a value`);
      options.set(name, value);
      continue;
    }
    positional.push(arg);
  }

  const [name, id, ...rest] = positional;
  if (name === undefined) throw new UsageError("no command given (see --help)");
  if (name !== "set" && name !== "get" && name !== "rotate-token") throw new UsageError(`unknown command ${name} (see --help)`);
  if (id === undefined || id === "") throw new UsageError(`${name} needs a session id`);
  if (replace && name !== "set") throw new UsageError("--replace goes with set only");
  const url = parseUrl(options.get("--url") ?? (env.REALTIME_SVG_URL || DEFAULT_URL));
  const timeoutText = options.get("--timeout") ?? env.REALTIME_SVG_TIMEOUT;
  const timeoutMs = timeoutText === undefined || timeoutText === "" ? DEFAULT_TIMEOUT_SECONDS * 1000 : parseTimeout(timeoutText);

  if (name === "get") {
    if (rest.length > 0) throw new UsageError(`get takes only a session id, not ${rest[0]}`);
    return { kind: "get", id, url, timeoutMs };
  }
  const token = options.get("--token") ?? env.REALTIME_SVG_TOKEN ?? "";
  if (token === "") throw new UsageError(`${name} needs a token: --token or REALTIME_SVG_TOKEN`);
  if (name === "rotate-token") {
    if (rest.length > 0) throw new UsageError(`rotate-token takes only a session id, not ${rest[0]}`);
    return { kind: "rotate-token", id, url, token, timeoutMs };
  }
  if (rest.length === 0) throw new UsageError("set needs at least one key=value or key:=json");
  const args: Record<string, unknown> = {};
  for (const assignment of rest) {
    const [key, value] = parseAssignment(assignment);
    // Defined as an own property: "__proto__" is an argument like any other.
    Object.defineProperty(args, key, { value, enumerable: true, writable: true, configurable: true });
  }
  return { kind: "set", id, args, replace, url, token, timeoutMs };
}
