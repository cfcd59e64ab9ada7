/**
 * Headless Chromium for end-to-end tests: launching it on this machine, serving an embedding page
 * from another origin, and reading what an element really shows, by pixels.
 */
import { existsSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { chromium, type Browser, type Locator } from "playwright-core";
import { PNG } from "pngjs";

export const CHROMIUM_PATH = process.env["CHROMIUM_PATH"] ?? "/usr/bin/chromium";
export const hasChromium = existsSync(CHROMIUM_PATH);

/** Headless Chromium that makes no connections of its own (this machine's network is closed). */
export function launchChromium(): Promise<Browser> {
  const args = [
    "--headless=new",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
  ];
  // Chromium refuses to start as root with its sandbox on.
  if (process.getuid?.() === 0) args.push("--no-sandbox");
  return chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args, timeout: 30_000 });
}

export interface TinyServer {
  /** e.g. http://127.0.0.1:40123 */
  url: string;
  port: number;
  close(): Promise<void>;
}

/** A node:http server on a free port of 127.0.0.1; close() also drops held-open responses. */
export async function startTinyServer(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<TinyServer> {
  const server: Server = createServer(handler);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

export interface EmbeddedImage {
  id: string;
  src: string;
  width: number;
  height: number;
}

/** An HTML page of fixed-size `<img>` elements on a white background. */
export function imagePage(images: EmbeddedImage[]): string {
  const escape = (s: string) => s.replace(/&/g, "&amp;").replace(/"/g, "&quot;").replace(/</g, "&lt;");
  const tags = images
    .map(
      (img) =>
        `<img id="${escape(img.id)}" src="${escape(img.src)}" width="${img.width}" height="${img.height}" ` +
        `alt="" style="display:block;margin:8px">`,
    )
    .join("\n");
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>embed</title></head>
<body style="margin:0;background:#fff">
${tags}
</body></html>`;
}

/** Serves `html` at every path: the page embedding the stream, on an origin of its own. */
export function startPageServer(html: string): Promise<TinyServer> {
  return startTinyServer((_req, res) => {
    res.writeHead(200, { "Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store" });
    res.end(html);
  });
}

export type Rgb = readonly [number, number, number];

export function hex(rgb: Rgb): string {
  return `#${rgb.map((c) => c.toString(16).padStart(2, "0")).join("")}`;
}

/** e.g. "#ff0000 → #00c000" */
export function trail(colours: readonly Rgb[]): string {
  return colours.length === 0 ? "(nothing)" : colours.map(hex).join(" → ");
}

export function sameColour(a: Rgb, b: Rgb, tolerance = 12): boolean {
  return a.every((c, i) => Math.abs(c - b[i]!) <= tolerance);
}

/** The colour the element shows at its centre, from a real screenshot of it. */
export async function centreColour(locator: Locator): Promise<Rgb> {
  const png = PNG.sync.read(
    await locator.screenshot({ scale: "css", timeout: 10_000 }),
  );
  const x = Math.floor(png.width / 2);
  const y = Math.floor(png.height / 2);
  const i = (y * png.width + x) * 4;
  return [png.data[i]!, png.data[i + 1]!, png.data[i + 2]!];
}

export interface ColourWait {
  /**
   * ms from `since` until the first screenshot showing the colour had been taken (an upper bound on
   * when the frame appeared: it includes that screenshot's own latency), or null if none did.
   */
  ms: number | null;
  /** The colours seen, in order, each once per run of equal screenshots. */
  seen: Rgb[];
  /** Screenshots taken, and their mean latency in ms. */
  shots: number;
  shotMs: number;
}

/** Screenshots `locator` every `intervalMs` until its centre shows `expected` or `timeoutMs` passes. */
export async function waitForColour(
  locator: Locator,
  expected: Rgb,
  options: { since: number; timeoutMs: number; intervalMs?: number },
): Promise<ColourWait> {
  const interval = options.intervalMs ?? 30;
  const deadline = options.since + options.timeoutMs;
  const seen: Rgb[] = [];
  let shots = 0;
  let shooting = 0;
  const result = (ms: number | null): ColourWait => ({ ms, seen, shots, shotMs: Math.round(shooting / shots) });
  for (;;) {
    const requested = performance.now();
    const colour = await centreColour(locator);
    const taken = performance.now();
    shots++;
    shooting += taken - requested;
    const last = seen.at(-1);
    if (!last || !sameColour(last, colour)) seen.push(colour);
    if (sameColour(colour, expected)) return result(Math.round(taken - options.since));
    if (taken >= deadline) return result(null);
    const pause = Math.max(0, Math.min(interval - (taken - requested), deadline - taken));
    await new Promise((resolve) => setTimeout(resolve, pause));
  }
}
