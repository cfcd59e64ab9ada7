/**
 * What the Web UI tests share: a browser context that records what a page must never do (log a
 * console error, fetch from another origin), reads what an image really shows, and finds the
 * controls by the accessible names the pages promise (README "Web UI").
 *
 * The pages run under a CSP whose connect-src is 'self', so a test cannot fetch() a blob: URL to
 * read it; instead an init script keeps the text of every Blob that becomes an object URL, and an
 * image is read by looking its src up there. bypassCSP stays off: a CSP violation is a console
 * error, which the tests must see.
 */
import AxeBuilder from "@axe-core/playwright";
import type { Browser, BrowserContext, Locator, Page } from "playwright-core";

/** Runs before any page script: remembers each object URL's Blob text. */
const BLOB_LOG = `
  window.__blobText = new Map();
  const create = URL.createObjectURL.bind(URL);
  URL.createObjectURL = (object) => {
    const url = create(object);
    if (object instanceof Blob) object.text().then((text) => window.__blobText.set(url, text));
    return url;
  };
  // The SVG text an <img> shows, from its blob: or data: URL; null while it has not decoded.
  window.__imageText = (img) => {
    if (!img.complete || img.naturalWidth === 0) return null;
    if (img.src.startsWith("blob:")) return window.__blobText.get(img.src) ?? null;
    const data = /^data:image\\/svg\\+xml(;base64)?,(.*)$/s.exec(img.src);
    if (data) return data[1] ? atob(data[2]) : decodeURIComponent(data[2]);
    return null;
  };
`;

interface ImageReader {
  __imageText(img: HTMLImageElement): string | null;
}

export interface Watched {
  context: BrowserContext;
  /** Console errors and uncaught exceptions, each with the page it happened on. */
  errors: string[];
  /** Requests to any origin but the server's (data:, blob: and about: are not requests out). */
  foreign: string[];
  /** Every request made, method and URL, in order. */
  requests: string[];
}

/** A fresh context on `origin` whose clipboard the page may write and the test may read. */
export async function watchedContext(browser: Browser, origin: string, locale = "en-US"): Promise<Watched> {
  const context = await browser.newContext({ locale, viewport: { width: 1200, height: 800 } });
  await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin });
  await context.addInitScript(BLOB_LOG);
  const watched: Watched = { context, errors: [], foreign: [], requests: [] };
  context.on("console", (message) => {
    // The location names the resource of a network error ("Failed to load resource: …").
    if (message.type() === "error") watched.errors.push(`${message.page()?.url() ?? "?"}: ${message.text()} [${message.location().url}]`);
  });
  context.on("weberror", (error) => watched.errors.push(`${error.page()?.url() ?? "?"}: uncaught ${error.error().message}`));
  context.on("request", (request) => {
    const url = request.url();
    watched.requests.push(`${request.method()} ${url}`);
    if (/^(data|blob|about):/.test(url)) return;
    if (new URL(url).origin !== origin) watched.foreign.push(url);
  });
  return watched;
}

/** What a <realtime-svg session=ID> shows: the SVG behind its shadow root's image. */
export function shownLive(page: Page, id: string): Promise<string | null> {
  return page.evaluate((id) => {
    const img = document.querySelector(`realtime-svg[session="${CSS.escape(id)}"]`)?.shadowRoot?.querySelector("img");
    return img ? (window as unknown as ImageReader).__imageText(img) : null;
  }, id);
}

/** The SVG text of every decoded blob:/data: <img> on the page (the studio's preview among them). */
export function shownImages(page: Page): Promise<string[]> {
  return page.evaluate(() =>
    [...document.querySelectorAll("img")].map((img) => (window as unknown as ImageReader).__imageText(img)).filter((text): text is string => text !== null),
  );
}

/** Polls `probe` until `ok`, failing with the last value seen. */
export async function until<T>(probe: () => Promise<T>, ok: (value: T) => boolean, what: string, timeoutMs = 15_000): Promise<T> {
  const since = performance.now();
  let last: T | string | undefined;
  for (;;) {
    try {
      const value = await probe();
      if (ok(value)) return value;
      last = value;
    } catch (error) {
      // A page navigating (a language switch reloads it) destroys the context a probe ran in.
      last = `probe failed: ${(error as Error).message.split("\n")[0]}`;
    }
    if (performance.now() - since > timeoutMs) throw new Error(`${what}: not within ${timeoutMs} ms; last seen ${JSON.stringify(last)?.slice(0, 600)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** An editor's text: a textarea's value, or a CodeMirror's lines. */
export function editorText(editor: Locator): Promise<string> {
  return editor.evaluate(
    (element) => {
      if (element instanceof HTMLTextAreaElement || element instanceof HTMLInputElement) return element.value;
      const lines = element.querySelectorAll(".cm-line");
      if (lines.length > 0) return [...lines].map((line) => line.textContent ?? "").join("\n");
      return element.textContent ?? "";
    },
    undefined,
    // Short: a caller polls, and a missing editor should fail its poll, not wait out the default.
    { timeout: 2_000 },
  );
}

/** The args the Arguments editor holds now. */
export async function editorArgs(page: Page): Promise<Record<string, unknown>> {
  const text = await until(() => editorText(page.getByRole("textbox", { name: "Arguments", exact: true })), (t) => t.trim().startsWith("{"), "Arguments editor filled");
  return JSON.parse(text) as Record<string, unknown>;
}

/** The argument a person would retype: a text one that is not a colour, preferring the usual names. */
export function textArgument(args: Record<string, unknown>): string {
  const texts = Object.keys(args).filter((key) => typeof args[key] === "string" && !/^#[0-9a-f]{3,8}$/i.test(args[key] as string));
  const preferred = ["text", "status", "label", "message", "title"].find((key) => texts.includes(key));
  const chosen = preferred ?? texts[0];
  if (!chosen) throw new Error(`no text argument among ${JSON.stringify(args)}`);
  return chosen;
}

/**
 * Presses Tab until `target` has the focus. A CodeMirror editor with Tab bound to indent keeps
 * the focus; CodeMirror's own way out is Escape then Tab, which a keyboard user has too.
 */
export async function tabTo(page: Page, target: Locator, what: string, maxPresses = 80): Promise<void> {
  const focused = () => target.evaluate((element) => element === document.activeElement || element.contains(document.activeElement));
  let previous = "";
  for (let i = 0; i < maxPresses; i++) {
    if (await focused()) return;
    const here = await page.evaluate(() => {
      const element = document.activeElement;
      return element ? `${element.tagName}#${element.id}.${element.className}@${element.closest(".cm-editor") ? "cm" : ""}` : "";
    });
    if (here === previous && here.endsWith("@cm")) await page.keyboard.press("Escape");
    previous = here;
    await page.keyboard.press("Tab");
  }
  throw new Error(`${what}: not reached by ${maxPresses} presses of Tab`);
}

/** Serious and critical axe violations on the page, each as one readable line. */
export async function seriousViolations(page: Page): Promise<string[]> {
  const results = await new AxeBuilder({ page }).analyze();
  return results.violations
    .filter((violation) => violation.impact === "serious" || violation.impact === "critical")
    .map((violation) => `${violation.id} (${violation.impact}): ${violation.help} at ${violation.nodes.slice(0, 4).map((node) => node.target.join(" ")).join("; ")}`);
}

/** The language control: a "Language" select, or links named English / 한국어. */
export async function chooseLanguage(page: Page, language: "en" | "ko"): Promise<void> {
  const select = page.getByRole("combobox", { name: "Language", exact: true });
  if ((await select.count()) > 0) {
    const options = await select.locator("option").evaluateAll((all) => all.map((o) => ({ value: (o as HTMLOptionElement).value, label: o.textContent ?? "" })));
    const option = options.find((o) => o.value === language || o.value.startsWith(`${language}-`) || o.label.includes(language === "en" ? "English" : "한국어"));
    if (!option) throw new Error(`the Language select has no ${language} option: ${JSON.stringify(options)}`);
    await select.selectOption(option.value);
    return;
  }
  const name = language === "en" ? "English" : "한국어";
  const control = page.getByRole("link", { name, exact: true }).or(page.getByRole("button", { name, exact: true }));
  await control.first().click();
}

export const htmlLang = (page: Page) => page.evaluate(() => document.documentElement.lang);
