/**
 * <realtime-svg> (/embed.js) in headless Chromium, on a page of ANOTHER origin: two elements share
 * one event stream and show their frames; the server is stopped and replaced on the same port and
 * Redis while a second replica keeps taking writes; the elements show the newest frames soon after
 * the new server answers, and the viewer page's indicator follows. What an element shows is read
 * from the page itself: the bytes of its <img>'s blob: URL, and whether the image decoded.
 *
 * It also records what Chromium's EventSource does by itself (docs/FACTS.md): after the server
 * ends the response it keeps reconnecting, also while nothing answers, and after an HTTP error
 * it gives up (CLOSED).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, BrowserContext, Page } from "playwright-core";
import type { RunningServer } from "../../runtime/node/server.js";
import { ioredisPorts } from "../../runtime/stores/ioredis.js";
import { CHROMIUM_PATH, hasChromium, launchChromium, startPageServer, type TinyServer } from "../support/browser.js";
import { startRedisServer, type RedisProcess } from "../support/redis.js";
import { startInProcess } from "../support/server.js";

if (!hasChromium) {
  console.warn(`\n!! SKIPPED test/browser/embed.browser.test.ts: no Chromium at ${CHROMIUM_PATH} (apt-get install -y chromium, or set CHROMIUM_PATH)\n`);
}

const TEMPLATE = '<svg xmlns="http://www.w3.org/2000/svg" width="60" height="30"><text y="20">{{ n }}</text></svg>';
const frame = (n: number) => `<svg xmlns="http://www.w3.org/2000/svg" width="60" height="30"><text y="20">${n}</text></svg>`;
const NEWEST_WITHIN_MS = 2_000;

/** Records each EventSource's errors with its readyState, before any page script runs. */
const EVENT_SOURCE_LOG = `
  window.__sources = [];
  const Native = window.EventSource;
  window.EventSource = class extends Native {
    constructor(...args) {
      super(...args);
      const entry = { url: String(args[0]), opens: 0, errors: [] };
      window.__sources.push(entry);
      this.addEventListener("open", () => entry.opens++);
      this.addEventListener("error", () => entry.errors.push(this.readyState));
    }
  };
`;

interface SourceLog {
  url: string;
  opens: number;
  errors: number[];
}

describe.skipIf(!hasChromium)("<realtime-svg> in headless Chromium, cross-origin", () => {
  let browser: Browser;
  let redis: RedisProcess;
  let server: RunningServer;
  let writer: RunningServer;
  let embedder: TinyServer;
  let context: BrowserContext;
  const tokens = new Map<string, string>();
  const prefix = "embed-browser:";
  const settings = { KEEP_ALIVE_MS: "60000", DRAIN_SECONDS: "2", SHUTDOWN_GRACE_MS: "500" };

  beforeAll(async () => {
    // Each assigned as it starts, so afterAll stops whatever did start when the other fails.
    await Promise.all([launchChromium().then((started) => (browser = started)), startRedisServer().then((started) => (redis = started))]);
    [server, writer] = await Promise.all([
      startInProcess(ioredisPorts({ url: redis.url, prefix }), settings),
      startInProcess(ioredisPorts({ url: redis.url, prefix }), settings),
    ]);
    context = await browser.newContext({ viewport: { width: 400, height: 300 } });
    await context.addInitScript(EVENT_SOURCE_LOG);
  }, 60_000);

  afterAll(async () => {
    await browser?.close().catch(() => {});
    await Promise.all([server?.shutdown(), writer?.shutdown(), embedder?.close()]);
    await redis?.stop();
  }, 30_000);

  async function create(id: string): Promise<void> {
    const response = await fetch(`${writer.url}/api/session`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ session_id: id, template: TEMPLATE, args: { n: 0 } }),
    });
    expect(response.status).toBe(201);
    tokens.set(id, ((await response.json()) as { write_token: string }).write_token);
  }
  async function write(id: string, n: number): Promise<void> {
    const response = await fetch(`${writer.url}/api/session/${id}`, {
      method: "PATCH",
      headers: { "Content-Type": "application/json", Authorization: `Bearer ${tokens.get(id)}` },
      body: JSON.stringify({ args: { n } }),
    });
    expect(response.status).toBe(200);
  }

  /** What the element shows: the SVG behind its image's blob: URL, if that image decoded. */
  const shown = (page: Page, selector: string) =>
    page.evaluate(async (selector) => {
      const element = document.querySelector(selector) as HTMLElement & { state: string };
      const img = element?.shadowRoot?.querySelector("img");
      if (!img?.src.startsWith("blob:") || !img.complete || img.naturalWidth === 0) return { svg: null, state: element?.state };
      return { svg: await (await fetch(img.src)).text(), state: element.state };
    }, selector);

  async function waitFor<T>(probe: () => Promise<T>, ok: (value: T) => boolean, timeoutMs: number, what: string): Promise<number> {
    const since = performance.now();
    let last: T | undefined;
    for (;;) {
      last = await probe();
      if (ok(last)) return Math.round(performance.now() - since);
      if (performance.now() - since > timeoutMs) throw new Error(`${what}: not within ${timeoutMs} ms; last seen ${JSON.stringify(last)}`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  it("shows frames, keeps showing them across a restart, and the newest within two seconds of the new server answering", async () => {
    await Promise.all([create("one"), create("two")]);
    const base = server.url;
    const port = Number(new URL(base).port);
    embedder = await startPageServer(`<!doctype html><html><head><meta charset="utf-8">
<script type="module" src="${base}/embed.js"></script></head><body>
<realtime-svg id="one" session="one" alt="one" width="60" height="30"></realtime-svg>
<realtime-svg id="two" session="two" alt="two" width="60" height="30"></realtime-svg>
</body></html>`);
    expect(new URL(embedder.url).origin).not.toBe(new URL(base).origin);

    const page = await context.newPage();
    // The element's event stream requests, with the Last-Event-ID each carried.
    const requested: { url: string; lastEventId: string | undefined }[] = [];
    page.on("request", (request) => {
      if (request.resourceType() !== "eventsource") return;
      void request.allHeaders().then((headers) => requested.push({ url: request.url(), lastEventId: headers["last-event-id"] }));
    });
    const viewer = await context.newPage();
    const bare = await context.newPage();
    await page.goto(embedder.url);
    await viewer.goto(`${base}/session/one`);
    // Plain EventSources beside them, to record what Chromium does by itself.
    await bare.goto(`${base}/session/two`);
    await bare.evaluate((urls) => urls.forEach((url) => new EventSource(url)), [`${base}/events/two`, `${base}/events/no-such-session`]);

    await waitFor(() => shown(page, "#one"), (s) => s.svg === frame(0) && s.state === "live", 5_000, "first frame of one");
    await waitFor(() => shown(page, "#two"), (s) => s.svg === frame(0), 5_000, "first frame of two");
    await waitFor(() => viewer.getAttribute("#state", "data-state"), (s) => s === "live", 5_000, "viewer page live");
    const sources = await page.evaluate(() => (window as unknown as { __sources: SourceLog[] }).__sources);
    expect(sources.map((source) => source.url)).toEqual([`${base}/events?ids=one%2Ctwo`]);

    await write("one", 1);
    await waitFor(() => shown(page, "#one"), (s) => s.svg === frame(1), 2_000, "update of one");

    // The server stops (its event streams are told to reconnect), and is down for a while.
    await server.shutdown();
    await waitFor(() => viewer.getAttribute("#state", "data-state"), (s) => s === "reconnecting", 3_000, "viewer page reconnecting");
    await write("one", 2);
    await write("two", 3);
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(await shown(page, "#one")).toEqual({ svg: frame(1), state: "reconnecting" });

    server = await startInProcess(ioredisPorts({ url: redis.url, prefix }), { ...settings, PORT: String(port) });
    const answering = performance.now();
    const [one, two] = await Promise.all([
      waitFor(() => shown(page, "#one"), (s) => s.svg === frame(2) && s.state === "live", 5_000, "newest frame of one"),
      waitFor(() => shown(page, "#two"), (s) => s.svg === frame(3), 5_000, "newest frame of two"),
    ]);
    const since = Math.round(performance.now() - answering);
    await waitFor(() => viewer.getAttribute("#state", "data-state"), (s) => s === "live", 5_000, "viewer page live again");
    await write("two", 4);
    await waitFor(() => shown(page, "#two"), (s) => s.svg === frame(4), 2_000, "update after the restart");

    // The reconnect after the restart carried the cursor across origins, and no preflight was made for it.
    const reconnects = requested.filter((request) => request.lastEventId !== undefined);
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    const preflights = metrics.split("\n").filter((line) => line.startsWith("rsvg_http_requests_total") && line.includes('method="OPTIONS"'));
    const log = await page.evaluate(() => (window as unknown as { __sources: SourceLog[] }).__sources);
    const bareSources = () => bare.evaluate(() => (window as unknown as { __sources: SourceLog[] }).__sources);
    // The plain EventSource reconnects at its own retry interval (up to 1.5 s), later than the
    // element, which retries at once: wait for its second open rather than racing it.
    await waitFor(bareSources, (sources) => sources.find((source) => source.url.endsWith("/events/two"))?.opens === 2, 5_000, "plain EventSource open again");
    const bareLog = await bareSources();
    const dropped = bareLog.find((source) => source.url.endsWith("/events/two"))!;
    const refused = bareLog.find((source) => source.url.endsWith("/events/no-such-session"))!;
    console.log(
      `embed: newest frames shown ${one} ms / ${two} ms after polling began (${since} ms after the new server answered); ` +
        `element's EventSources: ${JSON.stringify(log.map(({ opens, errors }) => ({ opens, errors })))}; ` +
        `plain EventSources (readyState 0 CONNECTING, 2 CLOSED): dropped ${JSON.stringify(dropped)}, HTTP 404 ${JSON.stringify(refused)}; ` +
        `reconnects with Last-Event-ID: ${JSON.stringify(reconnects.map((request) => request.lastEventId))}, preflights: ${preflights.length}`,
    );
    expect(reconnects.length).toBeGreaterThan(0);
    expect(reconnects.at(-1)!.lastEventId).toMatch(/^one:[0-9a-z]+-2,two:[0-9a-z]+-1$/);
    expect(preflights).toEqual([]);
    expect(Math.max(one, two)).toBeLessThan(NEWEST_WITHIN_MS);
    // Dropped: reconnecting by itself (CONNECTING) on every failed attempt, and open again afterwards.
    expect(dropped.opens).toBe(2);
    expect(dropped.errors.length).toBeGreaterThanOrEqual(2);
    expect(new Set(dropped.errors)).toEqual(new Set([0]));
    // An HTTP error: CLOSED at once, never retried.
    expect(refused).toMatchObject({ opens: 0, errors: [2] });
    await Promise.all([page.close(), viewer.close(), bare.close()]);
  }, 60_000);
});
