/**
 * The Web UI on the edge host: the real worker bundle (with the UI built into it) in workerd
 * through miniflare, over a real Redis through the Upstash-REST bridge. Each page loads in
 * headless Chromium without a console error or a request to another origin, the studio previews,
 * the session page's element goes live, and the html card starter says what fonts it needs there.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Miniflare } from "miniflare";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CHROMIUM_PATH, hasChromium, launchChromium } from "../support/browser.js";
import { buildEdge, startEdgeWorker } from "../support/edge.js";
import { startRedisServer, type RedisProcess } from "../support/redis.js";
import { startUpstashBridge, type UpstashBridge } from "../support/upstash-bridge.js";
import { editorArgs, shownImages, shownLive, until, watchedContext, type Watched } from "./ui-harness.js";

if (!hasChromium) console.warn(`\n!! SKIPPED test/browser/ui-edge.browser.test.ts: no Chromium at ${CHROMIUM_PATH}\n`);

describe.skipIf(!hasChromium)("the Web UI on the edge host", () => {
  let outdir: string;
  let redis: RedisProcess;
  let bridge: UpstashBridge;
  let worker: Miniflare;
  let origin: string;
  let browser: Browser;
  let watched: Watched;
  let page: Page;

  beforeAll(async () => {
    outdir = await mkdtemp(join(tmpdir(), "rsvg-ui-edge-"));
    const building = buildEdge(outdir);
    [redis, browser] = await Promise.all([startRedisServer(), launchChromium()]);
    bridge = await startUpstashBridge(redis.url);
    await building;
    ({ worker, origin } = await startEdgeWorker(outdir, {
      UPSTASH_REDIS_REST_URL: bridge.url,
      UPSTASH_REDIS_REST_TOKEN: bridge.token,
      KEY_PREFIX: "ui-edge:",
      KEEP_ALIVE_MS: "60000",
    }));
    origin = new URL(origin).origin;
    watched = await watchedContext(browser, origin);
    page = await watched.context.newPage();
  }, 90_000);

  afterAll(async () => {
    await browser?.close().catch(() => {});
    await worker?.dispose();
    await bridge?.close();
    await redis?.stop();
    if (outdir) await rm(outdir, { recursive: true, force: true });
  }, 30_000);

  it("front door, studio, session page and My images load cleanly; the preview and the live image show", async () => {
    try {
      await pages();
    } catch (error) {
      // What the pages logged is what explains a page that did not come up.
      throw new Error(`${(error as Error).message}\nconsole: ${JSON.stringify(watched.errors)}`, { cause: error });
    }
  }, 60_000);

  async function pages(): Promise<void> {
    await page.goto(`${origin}/`);
    await page.waitForLoadState("load");
    expect(await page.locator("#starter-card .note").count(), "the card starter says what it needs on the edge host").toBeGreaterThan(0);
    // The page's module script has run by its load event: a script that does not parse shows here.
    expect(watched.errors, "console errors on the front door").toEqual([]);

    await page.goto(`${origin}/new?template=badge`);
    await editorArgs(page);
    await until(() => shownImages(page), (svgs) => svgs.some((svg) => svg.includes("passing")), "the studio's preview", 15_000);
    const id = await page.getByRole("textbox", { name: "Session id", exact: true }).inputValue();
    await page.getByRole("button", { name: "Create", exact: true }).click();
    await page.getByRole("button", { name: "Copy write token", exact: true }).waitFor({ timeout: 15_000 });

    await page.goto(`${origin}/session/${id}`);
    await until(() => shownLive(page, id), (svg) => svg?.includes("passing") === true, "the live image", 15_000);
    await page.goto(`${origin}/sessions`);
    await page.locator(`a[href$="/session/${id}"]`).first().waitFor({ timeout: 10_000 });

    const missing = await page.goto(`${origin}/session/no-such-session`);
    expect(missing?.status()).toBe(404);
    expect(missing?.headers()["content-type"]).toMatch(/^text\/html/);

    expect(watched.errors.filter((error) => !(error.includes("/session/no-such-session") && /status of 404/.test(error))), "console errors").toEqual([]);
    expect(watched.foreign, "requests to another origin").toEqual([]);
  }
});
