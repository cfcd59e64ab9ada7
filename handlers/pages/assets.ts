import type { IRequest } from "itty-router";
import type { AppContext } from "../context.js";
import { notFound } from "../http/errors.js";
import { requestUrl } from "../http/request-url.js";

/** The pages of the web UI, each with its own script bundle (ui/build.ts). */
export type PageName = "front" | "studio" | "session" | "sessions" | "basic";

/**
 * The built web UI (ui/build.ts): the files served under /ui/, named by their content's hash,
 * and which of them each page loads. The core never reads a file: the Node host reads the build's
 * output (or builds from source), the edge host has it bundled into the worker.
 */
/** One built file. Binary files (the web font's woff2 subsets) are base64, so the build stays JSON. */
export interface UiFile {
  type: string;
  body: string;
  encoding?: "base64";
}

export interface UiAssets {
  /** URL path (`/ui/studio.3F2A1B7C.js`) → the file. */
  files: Readonly<Record<string, UiFile>>;
  /** Per page, the script URLs it loads, in order. */
  scripts: Readonly<Record<PageName, readonly string[]>>;
  /** The stylesheets every page loads. */
  styles: readonly string[];
  /** The favicon's URL. */
  icon: string;
}

/** What a host passes for the web UI (AppOptions.ui). */
export interface UiHost {
  /** The built UI; called on the first page or asset request, so a host may build it lazily. */
  load(): Promise<UiAssets>;
  /** Fonts html sessions cannot draw here (the edge host ships no CJK or emoji faces). */
  missingFonts?: readonly string[];
}

/** A page without a UI build still answers: its HTML, with no script. */
export const NO_UI: UiAssets = {
  files: {},
  scripts: { front: [], studio: [], session: [], sessions: [], basic: [] },
  styles: [],
  icon: "",
};

let loaded: WeakMap<UiHost, Promise<UiAssets>> | undefined;

/** The host's UI, loaded once per host object. A failed load is retried on the next request. */
export function uiAssets(ctx: AppContext): Promise<UiAssets> {
  const host = ctx.ui;
  if (!host) return Promise.resolve(NO_UI);
  loaded ??= new WeakMap();
  let assets = loaded.get(host);
  if (!assets) {
    assets = host.load().catch((error: unknown) => {
      loaded?.delete(host);
      throw error;
    });
    loaded.set(host, assets);
  }
  return assets;
}

const gzipped = new Map<string, Promise<ArrayBuffer>>();
const decoded = new Map<string, Uint8Array<ArrayBuffer>>();

/** A base64 file's bytes, decoded once per process. */
function bytesOf(path: string, body: string): Uint8Array<ArrayBuffer> {
  let bytes = decoded.get(path);
  if (!bytes) {
    const binary = atob(body);
    bytes = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    decoded.set(path, bytes);
  }
  return bytes;
}

/** An asset's gzip, made once per process (CompressionStream is a web API: Node and workerd have it). */
function gzipOf(path: string, body: string): Promise<ArrayBuffer> {
  let done = gzipped.get(path);
  if (!done) {
    done = new Response(new Blob([body]).stream().pipeThrough(new CompressionStream("gzip"))).arrayBuffer();
    gzipped.set(path, done);
  }
  return done;
}

/**
 * GET /ui/:file: a built asset. Its name carries its content's hash, so it is cached for good.
 * Text is sent gzipped to clients that take it (the studio's script is 400 KB, 140 KB gzipped);
 * binary files (woff2 is compressed already) as they are.
 */
export async function uiAsset(request: IRequest, ctx: AppContext): Promise<Response> {
  const path = requestUrl(request).pathname;
  const file = (await uiAssets(ctx)).files[path];
  if (!file) throw notFound("route");
  const headers: Record<string, string> = {
    "Content-Type": file.type,
    "Cache-Control": "public, max-age=31536000, immutable",
    "X-Content-Type-Options": "nosniff",
  };
  if (file.encoding === "base64") return new Response(bytesOf(path, file.body), { headers });
  headers["Vary"] = "Accept-Encoding";
  if (/\bgzip\b/.test(request.headers.get("accept-encoding") ?? "")) {
    // workerd compresses a body itself to match its Content-Encoding unless told it already is
    // (`encodeBody: "manual"`, a Workers extension of ResponseInit); other runtimes ignore the field.
    const init = { headers: { ...headers, "Content-Encoding": "gzip" }, encodeBody: "manual" } as ResponseInit;
    return new Response(await gzipOf(path, file.body), init);
  }
  return new Response(file.body, { headers });
}
