/**
 * The session page's Webhooks section in headless Chromium: with a remembered write token, a
 * token webhook is added through the form, its URL (shown once) is called as a sender would, and
 * Refresh lists the delivery with its status and mapped arguments while the live image changes.
 * Axe finds nothing serious with the section open; no console error.
 */
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningServer } from "../../runtime/node/server.js";
import { memoryPorts } from "../../runtime/stores/memory.js";
import { CHROMIUM_PATH, hasChromium, launchChromium } from "../support/browser.js";
import { startInProcess } from "../support/server.js";
import { seriousViolations, shownLive, until, watchedContext, type Watched } from "./ui-harness.js";

if (!hasChromium) console.warn(`\n!! SKIPPED test/browser/ui-hooks.browser.test.ts: no Chromium at ${CHROMIUM_PATH}\n`);

const TEMPLATE = '<svg xmlns="http://www.w3.org/2000/svg" width="120" height="20"><text x="4" y="14">state: {{ status }}</text></svg>';

describe.skipIf(!hasChromium)("the session page's webhooks", () => {
  let browser: Browser;
  let server: RunningServer;
  let origin: string;
  let watched: Watched;
  let page: Page;
  let token: string;
  const id = "hooks-ui";

  /** A context that remembers the session's token, as the studio leaves it (about:blank has no storage). */
  async function remembering(locale: string): Promise<Watched> {
    const context = await watchedContext(browser, origin, locale);
    await context.context.addInitScript(
      ([id, token, origin]) => {
        if (location.origin === origin && !localStorage.getItem("realtime-svg:tokens")) {
          localStorage.setItem("realtime-svg:tokens", JSON.stringify({ version: 1, sessions: { [id!]: { token, saved_at: new Date().toISOString() } } }));
        }
      },
      [id, token, origin],
    );
    return context;
  }

  beforeAll(async () => {
    [browser, server] = await Promise.all([launchChromium(), startInProcess(memoryPorts(), { RENDER_WORKERS: "1" })]);
    origin = new URL(server.url).origin;
    const created = await fetch(`${origin}/api/session`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ session_id: id, template: TEMPLATE, args: { status: "up" } }),
    });
    expect(created.status).toBe(201);
    ({ write_token: token } = (await created.json()) as { write_token: string });
    watched = await remembering("en-US");
    page = await watched.context.newPage();
  }, 60_000);

  afterAll(async () => {
    await browser?.close().catch(() => {});
    await server?.shutdown();
  });

  const button = (name: string) => page.getByRole("button", { name, exact: true });

  it("adds a token webhook, shows its URL and secret once, lists its delivery, and removes it", async () => {
    await page.goto(`${origin}/session/${id}`);
    await until(() => shownLive(page, id), (svg) => svg?.includes("state: up") === true, "the live image shows up");
    const section = page.getByRole("region", { name: "Webhooks", exact: true });
    await section.getByText("No webhooks yet.").waitFor();

    await page.getByLabel("Verification", { exact: true }).selectOption("token");
    expect(await page.getByLabel("Events (comma-separated, optional)").isDisabled(), "token webhooks have no events").toBe(true);
    await page.getByLabel(/^Mapping/).fill('{"status": "{{ status }}"}');
    await button("Add webhook").click();

    const url = await page.getByRole("textbox", { name: "Webhook URL", exact: true }).inputValue();
    expect(url).toMatch(new RegExp(`^${origin}/hook/hk_[A-Za-z0-9_-]{24}/[A-Za-z0-9._~-]+$`));
    const secret = await page.getByRole("textbox", { name: "Webhook secret", exact: true }).inputValue();
    expect(url.endsWith(`/${secret}`), "a token hook's URL carries its secret").toBe(true);
    await button("Copy webhook URL").click();
    await section.getByText("Copied", { exact: true }).first().waitFor({ timeout: 5_000 });
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(url);
    await button("Copy webhook secret").click();
    await until(() => page.evaluate(() => navigator.clipboard.readText()), (text) => text === secret, "the secret copied");
    // The listing never shows the credential.
    const listed = section.locator(".hook dd.mono");
    await listed.first().waitFor();
    expect(await listed.first().innerText()).toBe(url.slice(0, url.lastIndexOf("/")));

    // A POST's query parameters are under `query`; its body's fields are at the top level (README).
    const delivered = await fetch(url, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ status: "down" }) });
    expect(delivered.status).toBe(200);
    expect(await delivered.json()).toMatchObject({ ok: true, applied: true, args: { status: "down" } });
    await until(() => shownLive(page, id), (svg) => svg?.includes("state: down") === true, "the live image shows down");

    await button("Refresh").click();
    const row = section.locator("table.deliveries tbody tr").first();
    await row.waitFor({ timeout: 5_000 });
    const cells = await row.locator("td").allInnerTexts();
    expect(cells[2]).toBe("yes");
    expect(cells[3]).toBe("200");
    expect(cells[4]).toContain("applied");
    await row.locator("summary").click();
    expect(JSON.parse(await row.locator("pre").innerText())).toEqual({ status: "down" });

    expect(await seriousViolations(page), "serious or critical axe violations with the section open").toEqual([]);

    await button("Remove webhook").click();
    await button("Yes, remove webhook").click();
    await section.getByText("No webhooks yet.").waitFor();
    expect((await fetch(url, { method: "POST", body: "{}" })).status).toBe(404);

    expect(watched.errors, "console errors").toEqual([]);
    expect(watched.foreign, "requests to another origin").toEqual([]);
  }, 60_000);

  it("in Korean: the section, its deliveries table and its form, with no serious axe violation", async () => {
    const auth = { Authorization: `Bearer ${token}`, "Content-Type": "application/json" };
    const made = await fetch(`${origin}/api/session/${id}/hooks`, {
      method: "POST",
      headers: auth,
      body: JSON.stringify({ verify: "github", events: ["workflow_run"], map: { status: "{{ workflow_run.conclusion }}" } }),
    });
    expect(made.status).toBe(201);
    const { url } = (await made.json()) as { url: string };
    // Unsigned: refused, and listed as unverified.
    expect((await fetch(url, { method: "POST", headers: { "X-GitHub-Event": "workflow_run" }, body: "{}" })).status).toBe(401);
    const korean = await remembering("ko-KR");
    try {
      const tab = await korean.context.newPage();
      await tab.goto(`${origin}/session/${id}`);
      const section = tab.getByRole("region", { name: "웹훅", exact: true });
      const row = section.locator("table.deliveries tbody tr").first();
      await row.waitFor({ timeout: 10_000 });
      expect(await section.locator("table.deliveries th").allInnerTexts()).toEqual(["시각", "이벤트", "검증됨", "상태 코드", "결과"]);
      const cells = await row.locator("td").allInnerTexts();
      // Refused before its event is read: no event, not verified, 401.
      expect(cells.slice(2, 4)).toEqual(["아니요", "401"]);
      expect(cells[4]).toContain("invalid_signature");
      await tab.getByRole("button", { name: "웹훅 추가", exact: true }).waitFor();
      await tab.getByRole("button", { name: "웹훅 제거", exact: true }).waitFor();
      expect(await seriousViolations(tab)).toEqual([]);
      expect(korean.errors, "console errors").toEqual([]);
    } finally {
      await korean.context.close();
    }
  }, 60_000);
});
