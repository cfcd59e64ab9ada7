import { EMBED_ELEMENT_SOURCE } from "./embed-element.js";

const encoder = new TextEncoder();
const SCRIPT = encoder.encode(EMBED_ELEMENT_SOURCE);

/** The script's own hash: a new release with a changed element gets a new ETag, an unchanged one keeps it. */
let etag: Promise<string> | undefined;
export function embedScriptTag(): Promise<string> {
  return (etag ??= crypto.subtle.digest("SHA-256", SCRIPT).then((digest) => {
    const hex = Array.from(new Uint8Array(digest).slice(0, 12), (b) => b.toString(16).padStart(2, "0")).join("");
    return `"${hex}"`;
  }));
}

/**
 * GET /embed.js: the <realtime-svg> element (http/embed-element.ts). A module script loaded from
 * another origin is fetched with CORS, so it carries the read routes' `Access-Control-Allow-Origin: *`
 * (app.ts). Cached briefly and revalidated by ETag, so a release reaches pages within minutes.
 */
export async function embedScript(request: Request): Promise<Response> {
  const tag = await embedScriptTag();
  const headers = {
    "Content-Type": "text/javascript; charset=utf-8",
    "Cache-Control": "public, max-age=300",
    ETag: tag,
    "X-Content-Type-Options": "nosniff",
  };
  const match = request.headers.get("if-none-match");
  if (match !== null && match.split(",").some((candidate) => candidate.trim().replace(/^W\//, "") === tag)) {
    return new Response(null, { status: 304, headers });
  }
  return new Response(EMBED_ELEMENT_SOURCE, { status: 200, headers });
}
