/**
 * The Web UI's size budget, in script a page loads, gzipped: the studio with its editor within
 * 150 KB, every other page within 20 KB. Measured as a browser meets it: each page is rendered by
 * the app (in this process, over the in-memory ports, with the UI built in memory by ui/build.ts),
 * and every script its HTML loads — its own bundle and /embed.js alike — is fetched from the app
 * and gzipped with node:zlib at its default level, as a server or CDN compresses.
 */
import { gzipSync } from "node:zlib";
import { beforeAll, describe, expect, it } from "vitest";
import { createApp, type App } from "../../handlers/index.js";
import { memoryPorts } from "../../runtime/stores/memory.js";
import { buildUi, PAGES } from "../../ui/build.js";

const KB = 1024;
const BUDGETS: readonly { page: string; path: string; status: number; budget: number }[] = [
  { page: "front door", path: "/", status: 200, budget: 20 * KB },
  { page: "studio", path: "/new?template=badge", status: 200, budget: 150 * KB },
  { page: "session", path: "/session/budget", status: 200, budget: 20 * KB },
  { page: "My images", path: "/sessions", status: 200, budget: 20 * KB },
  { page: "missing session", path: "/session/no-such-session", status: 404, budget: 20 * KB },
];

describe("the Web UI's script budget per page (gzip)", () => {
  let app: App;
  const measured: string[] = [];

  beforeAll(async () => {
    app = createApp(memoryPorts(), { ui: { load: buildUi }, onError: () => {} });
    const created = await app.fetch(
      new Request("http://ui.test/api/session", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ session_id: "budget", template: '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>' }),
      }),
    );
    expect(created.status).toBe(201);
  }, 60_000);

  const get = (path: string) => app.fetch(new Request(`http://ui.test${path}`, { headers: { Accept: "text/html,*/*;q=0.8" } }));

  it.each(BUDGETS)("$page ($path): its scripts within the budget", async ({ page, path, status, budget }) => {
    const response = await get(path);
    expect(response.status).toBe(status);
    const html = await response.text();
    const sources = [...html.matchAll(/<script\b[^>]*\bsrc="([^"]+)"/g)].map((match) => match[1]!);
    const preloads = [...html.matchAll(/<link\b[^>]*\brel="modulepreload"[^>]*\bhref="([^"]+)"/g)].map((match) => match[1]!);
    const urls = [...new Set([...sources, ...preloads])];
    let total = 0;
    const parts: string[] = [];
    for (const url of urls) {
      const script = await get(url);
      expect(script.status, url).toBe(200);
      const gzipped = gzipSync(Buffer.from(await script.arrayBuffer())).length;
      total += gzipped;
      parts.push(`${url} ${(gzipped / KB).toFixed(1)} KB`);
    }
    measured.push(`${page}: ${(total / KB).toFixed(1)} KB of ${budget / KB} KB (${parts.join(", ") || "no script"})`);
    console.log(`ui size budget — ${measured.at(-1)}`);
    expect(total, `${page}: ${parts.join(", ")}`).toBeLessThanOrEqual(budget);
  });

  it("every page of the build is one the budgets measure, and each loads a script", async () => {
    const assets = await buildUi();
    expect(Object.keys(assets.scripts).sort()).toEqual([...PAGES].sort());
    for (const { path } of BUDGETS.filter((b) => b.status === 200)) {
      const html = await (await get(path)).text();
      expect(html, `${path} loads a built script`).toMatch(/<script\b[^>]*\bsrc="\/ui\/[^"]+\.js"/);
    }
  });
});
