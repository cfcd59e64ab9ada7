import type { Renderer } from "../rendering/liquid.js";
import { AppError } from "../http/errors.js";
import type { Delivery } from "./verify.js";

/**
 * A delivery's payload → the session's arguments. The scope is the body's top-level fields (a
 * JSON body, a form — GitHub's form deliveries put the JSON in `payload=` —, or for other bodies
 * the text as `body`), `query` (the query parameters) and `headers` (names lower-cased); a GET
 * on a token hook also has its query parameters at the top level. Each value of the map is Liquid
 * rendered without escaping: the session's template escapes arguments when it draws them.
 */

/** Most arguments one hook's map may set. */
export const MAX_MAP_ENTRIES = 32;

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** The body as data: an object's fields, or `{ body: value }` for anything else. */
export function payloadOf(delivery: Delivery): Record<string, unknown> {
  const text = new TextDecoder().decode(delivery.body);
  if (text.trim() === "") return {};
  const type = (delivery.headers.get("content-type") ?? "").toLowerCase();
  let value: unknown;
  if (type.startsWith("application/x-www-form-urlencoded")) {
    const form = new URLSearchParams(text);
    const payload = form.get("payload");
    value = payload !== null ? (parseJson(payload) ?? Object.fromEntries(form)) : Object.fromEntries(form);
  } else {
    value = parseJson(text) ?? text;
  }
  return isObject(value) ? value : { body: value };
}

export function scopeOf(delivery: Delivery, payload: Record<string, unknown>, queryAtTop: boolean): Record<string, unknown> {
  const query: Record<string, string> = {};
  for (const [name, value] of delivery.url.searchParams) if (name !== "token") query[name] = value;
  const headers: Record<string, string> = {};
  for (const [name, value] of delivery.headers) {
    // The credential headers are not data a mapping needs.
    if (name !== "x-gitlab-token" && name !== "authorization") headers[name] = value;
  }
  return { ...(queryAtTop ? query : {}), ...payload, query, headers };
}

/** Renders each value of the map; a failure is 422 naming the argument. */
export async function mapArgs(templates: Renderer, map: Record<string, string>, scope: Record<string, unknown>): Promise<Record<string, unknown>> {
  const args: Record<string, unknown> = {};
  for (const [name, source] of Object.entries(map)) {
    let value: string;
    try {
      value = await templates.renderMapping(templates.parseMapping(source), scope);
    } catch (error) {
      const message = error instanceof AppError ? error.message : (error as Error).message;
      throw new AppError("mapping_failed", `the mapping of "${name}" failed: ${message}`);
    }
    Object.defineProperty(args, name, { value, writable: true, enumerable: true, configurable: true });
  }
  return args;
}
