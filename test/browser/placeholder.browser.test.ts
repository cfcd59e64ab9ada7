/**
 * In headless Chromium, an `<img>` of a deleted (or never made) session, embedded by a page on
 * another origin, shows the placeholder the 404 carries: it loads (naturalWidth > 0) and its
 * pixels are the placeholder's, where a JSON 404 is a broken image. The control serves the JSON
 * 404 the server used to send, and checks the harness sees that image broken.
 */
import type { Browser, Page } from "playwright-core";
import { PNG } from "pngjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { prefersImageOverJson } from "../../handlers/http/accept.js";
import type { RunningServer } from "../../runtime/node/server.js";
import { memoryPorts } from "../../runtime/stores/memory.js";
import { CHROMIUM_PATH, hasChromium, imagePage, launchChromium, sameColour, startPageServer, startTinyServer, type Rgb, type TinyServer } from "../support/browser.js";
import { startInProcess } from "../support/server.js";

if (!hasChromium) console.warn(`SKIPPED test/browser/placeholder.browser.test.ts: no Chromium at ${CHROMIUM_PATH}`);

const GREY: Rgb = [0x6b, 0x72, 0x80];

describe.skipIf(!hasChromium)("an <img> of a session that is not there", () => {
  let server: RunningServer;
  let json404: TinyServer;
  let page: TinyServer;
  let browser: Browser;
  let tab: Page;
  /** What Chromium sent for the control's `<img>`. */
  let controlHeaders: Record<string, string | string[] | undefined> = {};

  beforeAll(async () => {
    [server, json404, browser] = await Promise.all([
      startInProcess(memoryPorts(), { RENDER_WORKERS: "1" }),
      startTinyServer((req, res) => {
        controlHeaders = req.headers;
        res.writeHead(404, { "Content-Type": "application/json; charset=utf-8", "Access-Control-Allow-Origin": "*" });
        res.end(JSON.stringify({ error: "session gone not found", code: "not_found" }));
      }),
      launchChromium(),
    ]);
    const created = await fetch(`${server.url}/api/session`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ session_id: "gone", template: '<svg xmlns="http://www.w3.org/2000/svg" width="180" height="28"><rect width="180" height="28" fill="#f00"/></svg>' }),
    });
    const { write_token } = (await created.json()) as { write_token: string };
    expect((await fetch(`${server.url}/api/session/gone`, { method: "DELETE", headers: { Authorization: `Bearer ${write_token}` } })).status).toBe(204);

    const images = [
      { id: "stream", src: `${server.url}/stream/gone`, width: 180, height: 28 },
      { id: "svg", src: `${server.url}/svg/gone`, width: 180, height: 28 },
      { id: "png", src: `${server.url}/png/gone`, width: 180, height: 28 },
      { id: "never-made", src: `${server.url}/stream/never-made`, width: 180, height: 28 },
      { id: "control", src: `${json404.url}/stream/gone`, width: 180, height: 28 },
    ];
    page = await startPageServer(imagePage(images));
    expect(new URL(page.url).origin).not.toBe(new URL(server.url).origin);
    tab = await browser.newPage();
    await tab.goto(page.url, { waitUntil: "load" });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await Promise.all([server?.shutdown(), json404?.close(), page?.close()]);
  });

  const loaded = (id: string) =>
    tab.evaluate((id) => {
      const img = document.getElementById(id) as HTMLImageElement;
      return { complete: img.complete, naturalWidth: img.naturalWidth, naturalHeight: img.naturalHeight };
    }, id);

  /** The colour the image shows near its left edge (the placeholder's badge, left of its text). */
  async function leftColour(id: string): Promise<Rgb> {
    const shot = PNG.sync.read(await tab.locator(`#${id}`).screenshot({ scale: "css", timeout: 10_000 }));
    const i = (Math.floor(shot.height / 2) * shot.width + 6) * 4;
    return [shot.data[i]!, shot.data[i + 1]!, shot.data[i + 2]!];
  }

  it.each(["stream", "svg", "png", "never-made"])("%s: the 404's placeholder is drawn, not a broken-image icon", async (id) => {
    expect(await loaded(id)).toEqual({ complete: true, naturalWidth: 180, naturalHeight: 28 });
    const colour = await leftColour(id);
    expect(sameColour(colour, GREY), `saw ${colour.join(",")}`).toBe(true);
  });

  it("Chromium marks an <img> request as such: Sec-Fetch-Dest: image, and an Accept ranking SVG above JSON", () => {
    expect(controlHeaders["sec-fetch-dest"]).toBe("image");
    // Chromium 156 sent "image/jxl,image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8".
    expect(prefersImageOverJson(String(controlHeaders["accept"]))).toBe(true);
  });

  it("control: a JSON 404 is a broken image, and the harness sees it", async () => {
    expect(await loaded("control")).toMatchObject({ complete: true, naturalWidth: 0 });
    expect(sameColour(await leftColour("control"), GREY)).toBe(false);
  });
});
