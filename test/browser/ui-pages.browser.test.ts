/**
 * Every page of the Web UI, in headless Chromium, in English and in Korean: no console error (a
 * CSP violation is one), no request to another origin, no serious or critical axe-core violation,
 * the controls' accessible names present and unique, scripts under hashed URLs cached for good, a
 * CSP without 'unsafe-inline' scripts; Korean text drawn in the app's own Noto Sans KR subsets (and
 * no font fetched for English); and a missing session answers an HTML 404 page.
 */
import type { Browser, Page, Response } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningServer } from "../../runtime/node/server.js";
import { memoryPorts } from "../../runtime/stores/memory.js";
import { CHROMIUM_PATH, hasChromium, launchChromium } from "../support/browser.js";
import { startInProcess } from "../support/server.js";
import { editorArgs, htmlLang, seriousViolations, shownImages, shownLive, until, watchedContext, type Watched } from "./ui-harness.js";

if (!hasChromium) console.warn(`\n!! SKIPPED test/browser/ui-pages.browser.test.ts: no Chromium at ${CHROMIUM_PATH}\n`);

const STARTERS = ["badge", "counter", "progress", "chart", "card"];
const COPY_BUTTONS = ["Copy HTML", "Copy Markdown", "Copy Markdown for GitHub", "Copy web component", "Copy curl", "Copy GitHub Actions step"];

describe.skipIf(!hasChromium)("every page of the Web UI", () => {
  let browser: Browser;
  let server: RunningServer;
  let origin: string;
  let watched: Watched;
  let page: Page;
  let id: string;

  beforeAll(async () => {
    [browser, server] = await Promise.all([launchChromium(), startInProcess(memoryPorts(), { RENDER_WORKERS: "1" })]);
    origin = new URL(server.url).origin;
    watched = await watchedContext(browser, origin);
    page = await watched.context.newPage();
    // One session made through the studio, so the session page and My images have something to show.
    await page.goto(`${origin}/new?template=badge`);
    await editorArgs(page);
    id = await page.getByRole("textbox", { name: "Session id", exact: true }).inputValue();
    await page.getByRole("button", { name: "Create", exact: true }).click();
    await page.getByRole("button", { name: "Copy write token", exact: true }).waitFor({ timeout: 10_000 });
  }, 60_000);

  afterAll(async () => {
    await browser?.close().catch(() => {});
    await server?.shutdown();
  });

  /** Opens `path`, waits for `settled`, and checks what every page must keep to. */
  async function check(path: string, settled: () => Promise<unknown>, status = 200): Promise<Response> {
    const errors = watched.errors.length;
    const foreign = watched.foreign.length;
    const response = (await page.goto(`${origin}${path}`))!;
    expect(response.status(), path).toBe(status);
    expect(response.headers()["content-type"], path).toMatch(/^text\/html/);
    const csp = response.headers()["content-security-policy"] ?? "";
    const scriptSrc = /(?:^|;)\s*script-src([^;]*)/.exec(csp)?.[1] ?? /(?:^|;)\s*default-src([^;]*)/.exec(csp)?.[1];
    expect(scriptSrc, `${path}: a CSP that says where scripts come from`).toBeDefined();
    expect(scriptSrc, `${path}: no inline scripts by CSP`).not.toMatch(/'unsafe-inline'|'unsafe-eval'|\*/);
    await settled();
    expect(await seriousViolations(page), `${path}: serious or critical axe violations`).toEqual([]);
    expect(watched.errors.slice(errors), `${path}: console errors`).toEqual([]);
    expect(watched.foreign.slice(foreign), `${path}: requests to another origin`).toEqual([]);
    return response;
  }

  const unique = async (name: string, role: "textbox" | "button" | "label" = "button") => {
    const locator = role === "label" ? page.getByLabel(name, { exact: true }) : page.getByRole(role, { name, exact: true });
    expect(await locator.count(), `exactly one control named "${name}" on ${page.url()}`).toBe(1);
  };

  it("the front door: a live example and a starter gallery, each starter opening the studio", async () => {
    await check("/", () => page.waitForLoadState("load"));
    expect(await htmlLang(page)).toBe("en");
    for (const starter of STARTERS) {
      expect(await page.locator(`a[href*="/new?template=${starter}"]`).count(), `a link to the ${starter} starter`).toBeGreaterThan(0);
    }
    expect(await page.locator("realtime-svg, img").count(), "a live example").toBeGreaterThan(0);
  }, 45_000);

  it("the studio, empty and with each starter: names unique, the preview an image", async () => {
    await check("/new", () => page.getByRole("textbox", { name: "Template", exact: true }).waitFor());
    for (const starter of STARTERS) {
      await check(`/new?template=${starter}`, () => until(() => shownImages(page), (svgs) => svgs.length > 0, `${starter}: a preview image`, 15_000));
      await unique("Template", "textbox");
      await unique("Arguments", "textbox");
      await unique("Session id", "textbox");
      await unique("Lifetime", "label");
      await unique("Create");
    }
  }, 90_000);

  it("the session page: the live element, its args form, Save, Delete and every copy button, once each", async () => {
    await check(`/session/${id}`, () => until(() => shownLive(page, id), (svg) => svg !== null, "the live image"));
    await unique("Save");
    await unique("Delete");
    for (const name of COPY_BUTTONS) await unique(name);
    expect(await page.getByLabel("status", { exact: true }).inputValue()).toBe("passing");
  }, 45_000);

  it("My images lists the session this browser remembers", async () => {
    await check("/sessions", () => page.locator(`a[href$="/session/${id}"]`).first().waitFor({ timeout: 10_000 }));
  }, 45_000);

  it("a missing session is an HTML 404 page, in the page's language", async () => {
    // Chromium logs a failed main-document load as a console error of its own; that one is expected.
    const before = watched.errors.length;
    const response = (await page.goto(`${origin}/session/no-such-session`))!;
    expect(response.status()).toBe(404);
    expect(response.headers()["content-type"]).toMatch(/^text\/html/);
    expect(await htmlLang(page)).toBe("en");
    expect(await page.locator("h1").count(), "a heading").toBeGreaterThan(0);
    expect(await seriousViolations(page)).toEqual([]);
    expect(watched.errors.slice(before).filter((error) => !/status of 404/.test(error))).toEqual([]);
  }, 45_000);

  it("scripts come from this server under hashed names, cached immutably", async () => {
    const scripts: { url: string; cache: string }[] = [];
    const onResponse = (response: Response) => {
      if (response.request().resourceType() === "script") scripts.push({ url: response.url(), cache: response.headers()["cache-control"] ?? "" });
    };
    page.on("response", onResponse);
    for (const path of ["/", "/new?template=badge", `/session/${id}`, "/sessions"]) {
      await page.goto(`${origin}${path}`);
      await page.waitForLoadState("load");
    }
    page.off("response", onResponse);
    const built = scripts.filter((script) => !script.url.endsWith("/embed.js"));
    expect(built.length, "the pages load built scripts").toBeGreaterThan(0);
    for (const script of built) {
      expect(script.url).toMatch(/[.-][0-9A-Za-z_-]{8,}\.m?js$/);
      expect(script.cache).toMatch(/immutable/);
    }
  }, 45_000);

  /** Whether a CSS unicode-range ("U+ac00-ac0f, U+ac11") holds the code point. */
  const inRange = (range: string, code: number) =>
    range.split(",").some((part) => {
      const [low, high = low] = part.trim().replace(/^U\+/i, "").split("-").map((hex) => parseInt(hex, 16));
      return code >= low! && code <= high!;
    });

  /** The "Noto Sans KR" faces the page declares, by load status; and the woff2 requests it made. */
  async function koreanFont(context: Watched, path: string) {
    const tab = await context.context.newPage();
    const fonts: { url: string; type: string; encoding: string | undefined }[] = [];
    tab.on("response", (response) => {
      if (/\.woff2$/.test(response.url())) {
        fonts.push({ url: response.url(), type: response.headers()["content-type"] ?? "", encoding: response.headers()["content-encoding"] });
      }
    });
    await tab.goto(`${origin}${path}`);
    await tab.waitForLoadState("load");
    const faces = await tab.evaluate(async () => {
      await document.fonts.ready;
      const noto = [...document.fonts].filter((face) => face.family.replace(/["']/g, "") === "Noto Sans KR");
      return {
        declared: noto.length,
        loaded: noto.filter((face) => face.status === "loaded").length,
        loadedRanges: noto.filter((face) => face.status === "loaded").map((face) => face.unicodeRange),
        checks: document.fonts.check('16px "Noto Sans KR"', "한"),
        bodyFamily: getComputedStyle(document.body).fontFamily,
      };
    });
    await tab.close();
    return { ...faces, fonts };
  }

  it("Korean text is drawn with the app's own Noto Sans KR subsets; English text fetches no font", async () => {
    const english = await watchedContext(browser, origin, "en-US");
    const korean = await watchedContext(browser, origin, "ko-KR");
    try {
      const en = await koreanFont(english, "/");
      expect(en.declared, "the font's @font-face rules are on every page").toBeGreaterThan(100);
      expect(en.bodyFamily).toMatch(/^system-ui,.*"Noto Sans KR", sans-serif$/);
      // The one Korean text on an English page is the language switch's "한국어": it loads the
      // (8 KB) subsets holding those three characters, and nothing for the English text.
      const switchText = [..."한국어"].map((char) => char.codePointAt(0)!);
      for (const range of en.loadedRanges) expect(switchText.some((code) => inRange(range, code)), `an English page loaded ${range}`).toBe(true);
      expect(en.fonts.length).toBe(en.loaded);
      expect(en.loaded).toBeLessThanOrEqual(3);

      const ko = await koreanFont(korean, "/");
      expect(ko.loaded, "some Noto Sans KR subsets loaded").toBeGreaterThan(0);
      expect(ko.loaded, "only the subsets the page's characters need").toBeLessThan(ko.declared / 2);
      expect(ko.checks, 'document.fonts.check("16px Noto Sans KR", "한")').toBe(true);
      expect(ko.fonts.length).toBeGreaterThan(0);
      for (const font of ko.fonts) {
        expect(new URL(font.url).origin, font.url).toBe(origin);
        expect(new URL(font.url).pathname, font.url).toMatch(/^\/ui\/noto-sans-kr-\d+-(400|700)-normal\.[0-9a-f]{12}\.woff2$/);
        expect(font.type, font.url).toBe("font/woff2");
        expect(font.encoding, `${font.url}: woff2 is not gzipped again`).toBeUndefined();
      }
      expect([...english.errors, ...korean.errors], "console errors (a font-src CSP violation is one)").toEqual([]);
      expect([...english.foreign, ...korean.foreign]).toEqual([]);
    } finally {
      await english.context.close();
      await korean.context.close();
    }
  }, 45_000);

  it("in Korean, every page renders Korean with <html lang=ko> and keeps to the same rules", async () => {
    const korean = await watchedContext(browser, origin, "ko-KR");
    const saved = { watched, page };
    watched = korean;
    page = await korean.context.newPage();
    try {
      for (const path of ["/", "/new?template=card", "/sessions", `/session/${id}`]) {
        await check(path, () => page.waitForLoadState("load"));
        expect(await htmlLang(page), path).toBe("ko");
        expect(await page.locator("body").innerText(), path).toMatch(/[\uac00-\ud7a3]/);
      }
    } finally {
      await korean.context.close();
      ({ watched, page } = saved);
    }
  }, 90_000);
});
