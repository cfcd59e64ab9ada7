/**
 * `npm run screenshots`: the README's pictures of the Web UI. Starts the Node host in this process
 * with the in-memory store, makes sample images through the studio in headless Chromium (so My
 * images has them remembered), and saves a PNG of each page to docs/screenshots/: the front door
 * in English and Korean, the studio, the session page and My images. Needs Chromium at
 * /usr/bin/chromium or CHROMIUM_PATH; makes no connection beyond 127.0.0.1.
 */
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import pino from "pino";
import type { Page } from "playwright-core";
import { woffToSfnt } from "../handlers/rendering/woff.js";
import { loadConfig } from "../runtime/config.js";
import { startServer } from "../runtime/node/server.js";
import { memoryPorts } from "../runtime/stores/memory.js";
import { launchChromium } from "../test/support/browser.js";

const out = fileURLToPath(new URL("../docs/screenshots/", import.meta.url));
const VIEWPORT = { width: 1200, height: 800 };

/**
 * The pages serve their own Noto Sans KR subsets (ui/build.ts), but headless Chromium 156 on a
 * machine with no Hangul font at all keeps drawing boxes for text it laid out before a subset
 * arrived (a later style change redraws it), so the Korean shot still needs a system Hangul font:
 * Chromium is given Noto Sans KR — the regular and bold faces of the @fontsource package the html
 * renderer already bundles, unwrapped from WOFF — through a fontconfig file of its own, beside the
 * system's fonts. The pages themselves are unchanged.
 */
async function koreanFonts(): Promise<string> {
  const directory = await mkdtemp(join(tmpdir(), "rsvg-screenshot-fonts-"));
  const files = join(dirname(createRequire(import.meta.url).resolve("@fontsource/noto-sans-kr/400.css")), "files");
  for (const file of (await readdir(files)).filter((name) => /-(400|700)-normal\.woff$/.test(name))) {
    const woff = await readFile(join(files, file));
    const sfnt = await woffToSfnt(woff.buffer.slice(woff.byteOffset, woff.byteOffset + woff.byteLength) as ArrayBuffer);
    await writeFile(join(directory, file.replace(/\.woff$/, ".otf")), sfnt);
  }
  await writeFile(
    join(directory, "fonts.conf"),
    `<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n<fontconfig>\n` +
      `  <include ignore_missing="yes">/etc/fonts/fonts.conf</include>\n  <dir>${directory}</dir>\n  <cachedir>${directory}/cache</cachedir>\n</fontconfig>\n`,
  );
  return directory;
}

const fonts = await koreanFonts();
// Chromium's child process inherits this environment (playwright passes process.env on).
process.env["FONTCONFIG_FILE"] = join(fonts, "fonts.conf");

// The snippets name the Quick start's address, not this run's random port (the pages fetch by relative URL).
const server = await startServer(loadConfig({ PORT: "0", HOST: "127.0.0.1", RENDER_WORKERS: "1", PUBLIC_URL: "http://localhost:8080" }), memoryPorts(), pino({ level: "silent" }));
const browser = await launchChromium();

/** Resolves once `probe` is true, polling; throws after `ms`. */
async function until(probe: () => Promise<boolean>, what: string, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`screenshots: ${what} did not happen within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Every <img> on the page (and in <realtime-svg> shadow roots) has decoded. */
const imagesShown = (page: Page) =>
  page.evaluate(() => {
    const images = [...document.querySelectorAll("img")];
    for (const element of document.querySelectorAll("realtime-svg")) {
      const img = element.shadowRoot?.querySelector("img");
      if (!img) return false;
      images.push(img);
    }
    return images.every((img) => img.complete && img.naturalWidth > 0);
  });

async function shoot(page: Page, name: string): Promise<void> {
  await until(() => imagesShown(page), `the images of ${name}`);
  // A face of the web font loads when text needs it, which layout finds in passes: wait until a
  // painted frame leaves none loading (document.fonts.ready alone can resolve between passes).
  await page.evaluate(async () => {
    for (let i = 0; i < 50; i++) {
      await document.fonts.ready;
      await new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)));
      if (![...document.fonts].some((face) => face.status === "loading")) return;
    }
  });
  // The caret blinks and focus rings move: shoot a page at rest.
  await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
  await page.screenshot({ path: `${out}${name}.png`, animations: "disabled", caret: "hide" });
  console.log(`docs/screenshots/${name}.png`);
}

/** Makes an image in the studio from a starter and goes on to its page. */
async function create(page: Page, starter: string, id: string, change?: [string, string]): Promise<void> {
  await page.goto(`${server.url}/new?template=${starter}`);
  await page.getByRole("textbox", { name: "Session id", exact: true }).fill(id);
  if (change) await page.getByLabel(change[0], { exact: true }).fill(change[1]);
  await page.getByRole("button", { name: "Create", exact: true }).click();
  await page.getByRole("button", { name: "Copy write token", exact: true }).waitFor({ timeout: 15_000 });
  if (!page.url().endsWith(`/session/${id}`)) {
    await page.locator(`a[href$="/session/${id}"]`).first().click();
    await page.waitForURL(`**/session/${id}`);
  }
}

try {
  await mkdir(out, { recursive: true });
  const context = await browser.newContext({ viewport: VIEWPORT, locale: "en-US", colorScheme: "light" });
  const page = await context.newPage();

  await page.goto(`${server.url}/`);
  await shoot(page, "front");

  await page.goto(`${server.url}/new?template=badge`);
  await page.getByLabel("status", { exact: true }).fill("deployed");
  await until(
    () => page.evaluate(() => [...document.querySelectorAll("img")].some((img) => img.src.startsWith("blob:") && img.complete && img.naturalWidth > 0)),
    "the studio's preview",
  );
  await shoot(page, "studio");

  await create(page, "progress", "release-progress");
  await create(page, "chart", "requests-per-minute");
  await create(page, "badge", "build-status", ["status", "passing"]);
  await until(() => page.locator("realtime-svg").evaluate((element) => element.getAttribute("state") === "live"), "the live image");
  await shoot(page, "session");

  await page.goto(`${server.url}/sessions`);
  await until(async () => (await page.locator('a[href$="/session/release-progress"]').count()) > 0, "My images' list");
  await shoot(page, "sessions");

  const korean = await browser.newContext({ viewport: VIEWPORT, locale: "ko-KR", colorScheme: "light" });
  const koPage = await korean.newPage();
  await koPage.goto(`${server.url}/`);
  await shoot(koPage, "front-ko");
} finally {
  await browser.close();
  await server.shutdown();
  await rm(fonts, { recursive: true, force: true });
}
