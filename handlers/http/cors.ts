/**
 * Cross-origin access (CORS). Reads — images, sessions, the viewer page — are public and carry no
 * credentials (write tokens are bearer headers, never cookies), so any origin may read them.
 * Writes through the API are allowed only to the origins in CORS_ORIGINS (none by default): a
 * page elsewhere cannot send them at all, because a JSON write is never a "simple" request
 * (body.ts refuses any other type) and so needs the preflight answered here.
 */

/** What a route allows across origins: reads from anywhere, writes from the listed origins. */
export type CorsClass = "read" | "write";

export interface CorsRoute {
  method: string;
  cors?: CorsClass;
}

/**
 * What a preflight lets a page send besides the safelisted headers. EventSource sends
 * Last-Event-ID without a preflight today, but a proposed change to the Fetch standard would
 * safelist only short values and preflight the rest (docs/FACTS.md).
 */
const ALLOW_HEADERS = "Authorization, Content-Type, If-None-Match, Last-Event-ID";
/** Seconds a browser may reuse a preflight's answer (Chromium caps it at 7200, Firefox at 86400). */
const MAX_AGE_SECONDS = "600";

/** An origin as browsers send it: scheme://host[:port], nothing more. */
export function parseOrigin(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new Error(`${JSON.stringify(raw)} is not an origin such as https://app.example.com`);
  }
  if ((url.protocol !== "http:" && url.protocol !== "https:") || url.origin !== raw.replace(/\/$/, "")) {
    throw new Error(`${JSON.stringify(raw)} is not an origin such as https://app.example.com`);
  }
  return url.origin;
}

export class CorsPolicy {
  private readonly writers: "*" | ReadonlySet<string>;

  constructor(origins: "*" | readonly string[] = []) {
    this.writers = origins === "*" ? "*" : new Set(origins);
  }

  private mayWrite(origin: string | null): boolean {
    return this.writers === "*" || (origin !== null && this.writers.has(origin));
  }

  /** The CORS headers of an answer of a route of class `cors`. */
  headers(request: Request, cors: CorsClass | undefined): Record<string, string> {
    if (cors === "read" || (cors === "write" && this.writers === "*")) return { "Access-Control-Allow-Origin": "*" };
    if (cors !== "write") return {};
    const origin = request.headers.get("origin");
    // A cache between must not hand one origin's answer to another.
    return this.mayWrite(origin) ? { "Access-Control-Allow-Origin": origin!, Vary: "Origin" } : { Vary: "Origin" };
  }

  /**
   * OPTIONS on a known path: a preflight (Access-Control-Request-Method) gets the allow headers
   * when the origin may use that method, and none otherwise; both are 204 with `Allow`.
   */
  preflight(request: Request, routes: readonly CorsRoute[], allow: string): Response {
    const headers: Record<string, string> = { Allow: allow, "Cache-Control": "no-store" };
    const origin = request.headers.get("origin");
    const requested = request.headers.get("access-control-request-method")?.toUpperCase();
    const dependsOnOrigin = this.writers !== "*" && routes.some((route) => route.cors === "write");
    if (dependsOnOrigin) headers.Vary = "Origin";
    if (origin === null || requested === undefined) return new Response(null, { status: 204, headers });

    const permitted = routes.filter((route) => route.cors === "read" || (route.cors === "write" && this.mayWrite(origin)));
    const methods = permitted.flatMap((route) => (route.method === "GET" ? ["GET", "HEAD"] : [route.method]));
    if (!methods.includes(requested)) return new Response(null, { status: 204, headers });
    const asked = routes.find((route) => route.method === (requested === "HEAD" ? "GET" : requested))!;
    headers["Access-Control-Allow-Origin"] = asked.cors === "write" && this.writers !== "*" ? origin : "*";
    headers["Access-Control-Allow-Methods"] = methods.join(", ");
    headers["Access-Control-Allow-Headers"] = ALLOW_HEADERS;
    headers["Access-Control-Max-Age"] = MAX_AGE_SECONDS;
    return new Response(null, { status: 204, headers });
  }
}
