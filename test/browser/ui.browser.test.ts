/**
 * The Web UI in headless Chromium, as a new user with only a browser meets it: from the front door
 * to the studio, a badge created and its `<img>` snippet copied, an argument edited on the session
 * page and the embedded live image changing — once by mouse, once by keyboard alone. Then the
 * studio's live preview and its template errors at their line, My images, deleting, and both
 * languages. What an image shows is read from the page: the SVG behind its blob: URL.
 */
import type { Browser, Dialog, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningServer } from "../../runtime/node/server.js";
import { memoryPorts } from "../../runtime/stores/memory.js";
import { CHROMIUM_PATH, hasChromium, launchChromium } from "../support/browser.js";
import { startInProcess } from "../support/server.js";
import {
  chooseLanguage,
  editorArgs,
  editorText,
  htmlLang,
  shownImages,
  shownLive,
  tabTo,
  textArgument,
  until,
  watchedContext,
  type Watched,
} from "./ui-harness.js";

if (!hasChromium) console.warn(`\n!! SKIPPED test/browser/ui.browser.test.ts: no Chromium at ${CHROMIUM_PATH}\n`);

const HANGUL = /[\uac00-\ud7a3]/;

describe.skipIf(!hasChromium)("the Web UI, by mouse and by keyboard", () => {
  let browser: Browser;
  let server: RunningServer;
  let origin: string;

  beforeAll(async () => {
    [browser, server] = await Promise.all([launchChromium(), startInProcess(memoryPorts(), { RENDER_WORKERS: "1" })]);
    origin = new URL(server.url).origin;
  }, 60_000);

  afterAll(async () => {
    await browser?.close().catch(() => {});
    await server?.shutdown();
  });

  async function open(locale = "en-US"): Promise<{ watched: Watched; page: Page }> {
    const watched = await watchedContext(browser, origin, locale);
    return { watched, page: await watched.context.newPage() };
  }

  /** Nothing a page must never do happened in this context. */
  function clean(watched: Watched): void {
    expect(watched.errors, "console errors").toEqual([]);
    expect(watched.foreign, "requests to another origin").toEqual([]);
  }

  const clipboard = (page: Page) => page.evaluate(() => navigator.clipboard.readText());
  // The feedback shows for a moment: waited for inside the page (Playwright polls there), not by round trips.
  const copiedShown = (page: Page) => page.getByText("Copied", { exact: false }).filter({ visible: true }).first().waitFor({ timeout: 5_000 });
  const template = (page: Page) => page.getByRole("textbox", { name: "Template", exact: true });
  const sessionIdField = (page: Page) => page.getByRole("textbox", { name: "Session id", exact: true });
  const field = (page: Page, name: string) => page.getByLabel(name, { exact: true });
  const button = (page: Page, name: string) => page.getByRole("button", { name, exact: true });
  const previewShows = (page: Page, text: string) =>
    until(() => shownImages(page), (svgs) => svgs.some((svg) => svg.includes(text)), `the preview shows "${text}"`);
  const liveShows = (page: Page, id: string, text: string) =>
    until(() => shownLive(page, id), (svg) => svg?.includes(text) === true, `<realtime-svg session="${id}"> shows "${text}"`);

  async function stored(id: string): Promise<{ status: number; args?: Record<string, unknown> }> {
    const response = await fetch(`${origin}/api/session/${id}`);
    return response.ok ? { status: 200, args: ((await response.json()) as { args: Record<string, unknown> }).args } : { status: response.status };
  }

  /** After Create: the token with its copy button and the remember box; then on to the session page. */
  async function afterCreate(page: Page, id: string, keyboard: boolean): Promise<string> {
    const copyToken = button(page, "Copy write token");
    await copyToken.waitFor({ timeout: 10_000 });
    const remember = page.getByRole("checkbox", { name: /^Remember in this browser/ });
    expect(await remember.isChecked(), '"Remember in this browser" is checked by default').toBe(true);
    if (keyboard) {
      await tabTo(page, copyToken, "Copy write token");
      await page.keyboard.press("Space");
    } else {
      await copyToken.click();
    }
    await copiedShown(page);
    const token = await clipboard(page);
    expect(token).toMatch(/^rsvg_\S+$/);
    const shownText = await page.evaluate(() =>
      [document.body.innerText, ...[...document.querySelectorAll("input, textarea")].map((field) => (field as HTMLInputElement).value)].join("\n"),
    );
    expect(shownText, "the token is shown on the page").toContain(token);
    if (!page.url().endsWith(`/session/${id}`)) {
      const onward = page.locator(`a[href$="/session/${id}"]`).first();
      if (keyboard) {
        await tabTo(page, onward, "the link to the session page");
        await page.keyboard.press("Enter");
      } else {
        await onward.click();
      }
      await page.waitForURL(`**/session/${id}`, { timeout: 10_000 });
    }
    return token;
  }

  it("must show, by mouse: front door → badge starter → text changed → Create → <img> copied → argument saved → the live image changes", async () => {
    const { watched, page } = await open();
    await page.goto(`${origin}/`);
    expect(await htmlLang(page)).toBe("en");
    await page.locator('a[href*="template=badge"]').first().click();
    await page.waitForURL(/\/new\?template=badge/);
    expect(await editorText(template(page))).toContain("<svg");

    const args = await editorArgs(page);
    const name = textArgument(args);
    await field(page, name).fill("made-by-mouse");
    await previewShows(page, "made-by-mouse");
    // The form and the JSON editor are one state.
    await until(() => editorArgs(page), (now) => now[name] === "made-by-mouse", "the Arguments editor follows the form");

    const id = await sessionIdField(page).inputValue();
    expect(id, "a suggested session id").toMatch(/^[A-Za-z0-9_-]+$/);
    await button(page, "Create").click();
    await afterCreate(page, id, false);
    expect((await stored(id)).args?.[name]).toBe("made-by-mouse");

    await liveShows(page, id, "made-by-mouse");
    await button(page, "Copy HTML").click();
    await copiedShown(page);
    expect(await clipboard(page)).toContain(`<img src="${origin}/stream/${id}"`);

    await field(page, name).fill("saved-by-mouse");
    const patch = page.waitForRequest((request) => request.method() === "PATCH" && request.url().endsWith(`/api/session/${id}`));
    await button(page, "Save").click();
    expect((await (await patch).allHeaders())["authorization"], "Save uses the remembered token").toMatch(/^Bearer rsvg_/);
    await liveShows(page, id, "saved-by-mouse");
    expect((await stored(id)).args?.[name]).toBe("saved-by-mouse");
    clean(watched);
  }, 60_000);

  it("the same create flow by keyboard alone: Tab, Enter, Space and typing, no click", async () => {
    const { watched, page } = await open();
    await page.goto(`${origin}/`);
    await tabTo(page, page.locator('a[href*="template=badge"]').first(), "the badge starter");
    await page.keyboard.press("Enter");
    await page.waitForURL(/\/new\?template=badge/);

    const name = textArgument(await editorArgs(page));
    await tabTo(page, field(page, name), `the "${name}" field`);
    await page.keyboard.press("ControlOrMeta+A");
    await page.keyboard.type("typed-by-keys");
    await previewShows(page, "typed-by-keys");
    const id = await sessionIdField(page).inputValue();
    await tabTo(page, button(page, "Create"), "Create");
    await page.keyboard.press("Enter");
    await afterCreate(page, id, true);

    await liveShows(page, id, "typed-by-keys");
    await tabTo(page, button(page, "Copy HTML"), "Copy HTML");
    await page.keyboard.press("Enter");
    await copiedShown(page);
    expect(await clipboard(page)).toContain(`<img src="${origin}/stream/${id}"`);

    await tabTo(page, field(page, name), `the session page's "${name}" field`);
    await page.keyboard.press("ControlOrMeta+A");
    await page.keyboard.type("saved-by-keys");
    await tabTo(page, button(page, "Save"), "Save");
    await page.keyboard.press("Enter");
    await liveShows(page, id, "saved-by-keys");
    clean(watched);
  }, 60_000);

  it("a template error shows at its line, in the message and as a lint mark on that line of the editor", async () => {
    const { watched, page } = await open();
    await page.goto(`${origin}/new?template=badge`);
    await editorArgs(page);
    // Line 3 opens a tag that is never closed.
    const broken = '<svg xmlns="http://www.w3.org/2000/svg" width="100" height="20">\n<text y="15">\n{% if status %}{{ status }}\n</text>\n</svg>';
    await template(page).fill(broken);
    await until(() => editorText(template(page)), (text) => text === broken, "the Template editor holds the broken template");
    await until(() => page.locator("body").innerText(), (text) => /line 3\b/i.test(text), 'the error says "line 3"');
    const markedLines = () =>
      template(page).evaluate((editor) => {
        const lines = [...editor.querySelectorAll(".cm-line")];
        const marks = [...editor.querySelectorAll(".cm-lintRange-error, .cm-lintPoint-error, .cm-lintRange, .cm-lintPoint")];
        return marks.map((mark) => lines.indexOf(mark.closest(".cm-line")!) + 1);
      });
    expect(await until(markedLines, (lines) => lines.length > 0, "a lint mark in the Template editor")).toContain(3);
    // The one console line allowed: Chromium's own log of the preview's 400, which is the API's
    // answer to a template error (as create's); the page's script logs nothing.
    watched.errors = watched.errors.filter((error) => !/Failed to load resource: .* status of 400 .*\/api\/preview\]$/.test(error));
    clean(watched);
  }, 45_000);

  /** Creates a session through the studio and lands on its page; returns its id. */
  async function createThroughStudio(page: Page, starter = "counter"): Promise<string> {
    await page.goto(`${origin}/new?template=${starter}`);
    await editorArgs(page);
    const id = `ui-${starter}-${Math.random().toString(36).slice(2, 8)}`;
    await sessionIdField(page).fill(id);
    await button(page, "Create").click();
    await afterCreate(page, id, false);
    return id;
  }

  it("a remembered session is listed under My images, and Forget removes it (and it stays removed)", async () => {
    const { watched, page } = await open();
    const id = await createThroughStudio(page);
    await page.goto(`${origin}/sessions`);
    const entry = page.locator(`a[href$="/session/${id}"]`).first();
    await entry.waitFor({ timeout: 10_000 });
    page.on("dialog", (dialog) => void dialog.accept());
    await page.getByRole("button", { name: /^Forget/ }).first().click();
    const dialog = page.getByRole("alertdialog").or(page.getByRole("dialog"));
    if (await dialog.isVisible()) await dialog.getByRole("button", { name: /^Forget/ }).click();
    await until(() => entry.count(), (n) => n === 0, "the forgotten session gone from My images");
    await page.reload();
    await page.waitForLoadState("load");
    expect(await page.locator(`a[href$="/session/${id}"]`).count()).toBe(0);
    expect((await stored(id)).status, "forgetting does not delete").toBe(200);
    clean(watched);
  }, 45_000);

  it("Delete asks first: declined, the session stays; confirmed, it is gone", async () => {
    const { watched, page } = await open();
    const id = await createThroughStudio(page);
    const confirmWith = async (accept: boolean) => {
      // A native confirm() or a dialog in the page: either asks.
      let native = false;
      const onDialog = (dialog: Dialog) => {
        native = true;
        void (accept ? dialog.accept() : dialog.dismiss());
      };
      page.once("dialog", onDialog);
      await button(page, "Delete").click();
      page.off("dialog", onDialog);
      if (!native) {
        const dialog = page.getByRole("alertdialog").or(page.getByRole("dialog"));
        await dialog.waitFor({ timeout: 5_000 });
        await dialog.getByRole("button", { name: accept ? /Delete|Confirm|Yes/ : /Cancel|No|Keep/ }).first().click();
      }
    };
    await confirmWith(false);
    expect((await stored(id)).status).toBe(200);
    await confirmWith(true);
    await until(() => stored(id).then((s) => s.status), (status) => status === 404, "the session deleted");
    clean(watched);
  }, 45_000);

  it("English and Korean both render; the switch sticks across a reload and sets <html lang>", async () => {
    const korean = await open("ko-KR");
    await korean.page.goto(`${origin}/`);
    expect(await htmlLang(korean.page), "Accept-Language: ko picks Korean").toBe("ko");
    expect(await korean.page.locator("body").innerText()).toMatch(HANGUL);
    await chooseLanguage(korean.page, "en");
    await until(() => htmlLang(korean.page), (lang) => lang === "en", "switched to English");
    await korean.page.reload();
    expect(await htmlLang(korean.page), "English sticks across a reload").toBe("en");

    const english = await open("en-US");
    await english.page.goto(`${origin}/`);
    expect(await htmlLang(english.page)).toBe("en");
    await chooseLanguage(english.page, "ko");
    await until(() => htmlLang(english.page), (lang) => lang === "ko", "switched to Korean");
    await english.page.reload();
    expect(await htmlLang(english.page), "Korean sticks across a reload").toBe("ko");
    for (const path of ["/", "/new", "/sessions"]) {
      await english.page.goto(`${origin}${path}`);
      expect(await htmlLang(english.page), `${path} in Korean`).toBe("ko");
      expect(await english.page.locator("body").innerText(), `${path} shows Korean text`).toMatch(HANGUL);
    }
    clean(korean.watched);
    clean(english.watched);
  }, 60_000);
});
