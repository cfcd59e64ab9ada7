/**
 * A stored SVG may contain <script>: templates are untrusted and svg sessions are stored as
 * written. Opened as a top-level page in Chromium, GET /svg/ID must not run it (the CSP sandbox).
 * The control serves the very same SVG without those headers and checks the script does run there,
 * so the harness is known to notice a script that runs.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser } from "playwright-core";
import { CHROMIUM_PATH, hasChromium, launchChromium, startTinyServer, type TinyServer } from "../support/browser.js";
import { createSession, startRenderServer, type RenderServer } from "../support/render-server.js";

if (!hasChromium) console.warn(`SKIPPED test/browser/svg-script.browser.test.ts: no Chromium at ${CHROMIUM_PATH}`);

const hits: string[] = [];
let listener: TinyServer;
let server: RenderServer;
let plain: TinyServer;
let browser: Browser;

const svgWithScript = (beacon: string) =>
  `<svg xmlns="http://www.w3.org/2000/svg" width="40" height="20">` +
  `<title>untouched</title><rect width="40" height="20" fill="#0a0"/>` +
  `<script>document.title = "script ran"; fetch("${beacon}/beacon").catch(() => {}); ` +
  `new Image().src = "${beacon}/image-beacon";</script>` +
  `<image href="${beacon}/svg-image" width="1" height="1"/>` +
  `</svg>`;

describe.skipIf(!hasChromium)("a script inside a stored SVG", () => {
  beforeAll(async () => {
    listener = await startTinyServer((req, res) => {
      hits.push(String(req.url));
      res.writeHead(200, { "Access-Control-Allow-Origin": "*" }).end();
    });
    server = await startRenderServer();
    plain = await startTinyServer((_req, res) => {
      res.writeHead(200, { "Content-Type": "image/svg+xml" }).end(svgWithScript(listener.url));
    });
    browser = await launchChromium();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await plain?.close();
    await listener?.close();
  });

  async function open(url: string) {
    const page = await browser.newPage();
    await page.goto(url, { waitUntil: "load" });
    await page.waitForTimeout(300);
    const title = await page.title();
    await page.close();
    return title;
  }

  it("does not run when GET /svg/ID is opened as a page", async () => {
    const created = await createSession(server.url, { session_id: "scripted", template: svgWithScript(listener.url) });
    expect(created.response.status).toBe(201);
    hits.length = 0;
    const title = await open(`${server.url}/svg/scripted`);
    expect(title).not.toBe("script ran");
    expect(hits).toEqual([]);
  });

  it("control: the same SVG served without the CSP does run its script", async () => {
    hits.length = 0;
    const title = await open(`${plain.url}/page.svg`);
    expect(title).toBe("script ran");
    expect(hits.length).toBeGreaterThan(0);
  });
});
