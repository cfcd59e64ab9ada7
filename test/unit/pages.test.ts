/** The server side of the web UI's pages: headers, CSP, escaping, the HTML 404, the language choice, the assets. */
import { beforeAll, describe, expect, it } from "vitest";
import { createApp, type App, type UiAssets } from "../../handlers/index.js";
import { chooseLanguage } from "../../handlers/pages/language.js";
import { memoryPorts } from "../../runtime/stores/memory.js";

const HTML = { Accept: "text/html,application/xhtml+xml,*/*;q=0.8" };

/** A tiny stand-in build: one script per page, a stylesheet, an icon. */
const UI: UiAssets = {
  files: {
    "/ui/page.abc123.js": { type: "text/javascript; charset=utf-8", body: "console.log(1)" },
    "/ui/app.def456.css": { type: "text/css; charset=utf-8", body: "body{}" },
    "/ui/icon.0a0b.svg": { type: "image/svg+xml", body: "<svg/>" },
  },
  scripts: { front: ["/ui/page.abc123.js"], studio: ["/ui/page.abc123.js"], session: ["/ui/page.abc123.js"], sessions: ["/ui/page.abc123.js"], basic: ["/ui/page.abc123.js"] },
  styles: ["/ui/app.def456.css"],
  icon: "/ui/icon.0a0b.svg",
};

let app: App;
const get = (path: string, headers: Record<string, string> = HTML, method = "GET") => app.fetch(new Request(`http://pages.test${path}`, { method, headers }));

beforeAll(async () => {
  app = createApp(memoryPorts(), { ui: { load: async () => UI }, onError: () => {} });
  const created = await app.fetch(
    new Request("http://pages.test/api/session", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({
        session_id: "page-test",
        template: '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><text>{{ t }}</text></svg>',
        args: { t: "</script><script>alert(1)</script>" },
      }),
    }),
  );
  expect(created.status).toBe(201);
});

describe("pages", () => {
  it.each(["/", "/new", "/new?template=chart", "/session/page-test", "/sessions"])("%s: HTML with a nonce CSP and the security headers", async (path) => {
    const response = await get(path);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(response.headers.get("x-content-type-options")).toBe("nosniff");
    expect(response.headers.get("referrer-policy")).toBe("same-origin");
    const csp = response.headers.get("content-security-policy")!;
    const nonce = /script-src 'nonce-([A-Za-z0-9+/=]+)'/.exec(csp)?.[1];
    expect(nonce).toBeTruthy();
    expect(csp).not.toContain("unsafe-inline");
    expect(csp).toContain("connect-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("font-src 'self'");
    const html = await response.text();
    // Every executable script carries the nonce; the page data is JSON, which never runs.
    for (const tag of html.match(/<script\b[^>]*>/g) ?? []) {
      if (!tag.includes('type="application/json"')) expect(tag).toContain(`nonce="${nonce}"`);
    }
    expect(html).toContain('<script type="module" src="/ui/page.abc123.js"');
    expect(html).toContain('href="/ui/app.def456.css"');
  });

  it("answers HEAD with the head alone", async () => {
    const response = await get("/new", HTML, "HEAD");
    expect(response.status).toBe(200);
    expect(await response.text()).toBe("");
    expect(response.headers.get("content-security-policy")).toContain("script-src 'nonce-");
  });

  it("keeps arguments inside the page data: no </script> ends it early", async () => {
    const html = await (await get("/session/page-test")).text();
    expect(html).not.toContain("</script><script>alert(1)");
    const data = JSON.parse(/<script type="application\/json" id="page-data">([^<]*)<\/script>/.exec(html)![1]!) as { session: { args: { t: string } } };
    expect(data.session.args.t).toBe("</script><script>alert(1)</script>");
  });

  it("a missing session: an HTML 404 page for a browser, the JSON 404 for an API client", async () => {
    const page = await get("/session/no-such-one");
    expect(page.status).toBe(404);
    expect(page.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(page.headers.get("content-security-policy")).toContain("script-src 'nonce-");
    expect(await page.text()).toContain("no-such-one");
    const api = await get("/session/no-such-one", {});
    expect(api.status).toBe(404);
    expect(await api.json()).toMatchObject({ code: "not_found" });
  });

  it("a path with no page: the HTML 404 for a browser, JSON otherwise", async () => {
    const page = await get("/no/such/page");
    expect(page.status).toBe(404);
    expect(page.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(await page.text()).toContain("There is no page here.");
    const api = await get("/no/such/page", { Accept: "application/json" });
    expect(api.status).toBe(404);
    expect(await api.json()).toMatchObject({ code: "not_found" });
  });

  it("escapes what the path puts into the 404 page", async () => {
    const page = await get("/session/%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E");
    expect(page.status).toBe(404);
    const html = await page.text();
    expect(html).not.toMatch(/<img src=x/i);
    expect(html).toContain("&#60;img");
  });

  it("prefills the studio from a starter", async () => {
    const html = await (await get("/new?template=chart")).text();
    const data = JSON.parse(/id="page-data">([^<]*)</.exec(html)![1]!) as { starter: { id: string; args: { values: number[] } }; info: { lifetimes: { value: unknown }[] } };
    expect(data.starter.id).toBe("chart");
    expect(data.starter.args.values.length).toBeGreaterThan(2);
    expect(data.info.lifetimes.map((l) => l.value)).toEqual([3600, 86400, 604800, 2592000]);
  });

  it("offers never only where MAX_EXPIRE=never, and says when creating needs the API key", async () => {
    const open = createApp(memoryPorts(), { limits: { maxExpireSeconds: "never" }, apiKey: "k".repeat(20), onError: () => {} });
    const html = await (await open.fetch(new Request("http://pages.test/new", { headers: HTML }))).text();
    const data = JSON.parse(/id="page-data">([^<]*)</.exec(html)![1]!) as { info: { lifetimes: { value: unknown }[]; apiKeyRequired: boolean } };
    expect(data.info.lifetimes.map((l) => l.value)).toContain("never");
    expect(data.info.apiKeyRequired).toBe(true);
  });

  it("front door: every starter opens the studio", async () => {
    const html = await (await get("/")).text();
    for (const id of ["badge", "counter", "progress", "chart", "card"]) expect(html).toContain(`href="/new?template=${id}"`);
  });
});

describe("language", () => {
  const request = (headers: Record<string, string>) => new Request("http://pages.test/", { headers });

  it("follows Accept-Language, weights included", () => {
    expect(chooseLanguage(request({ "Accept-Language": "ko-KR,ko;q=0.9,en;q=0.8" }))).toBe("ko");
    expect(chooseLanguage(request({ "Accept-Language": "fr, en;q=0.5, ko;q=0.7" }))).toBe("ko");
    expect(chooseLanguage(request({ "Accept-Language": "ko;q=0, en" }))).toBe("en");
    expect(chooseLanguage(request({ "Accept-Language": "de" }))).toBe("en");
    expect(chooseLanguage(request({}))).toBe("en");
  });

  it("the switch's cookie wins over Accept-Language", () => {
    expect(chooseLanguage(request({ "Accept-Language": "ko", Cookie: "a=b; rsvg_lang=en" }))).toBe("en");
    expect(chooseLanguage(request({ "Accept-Language": "en", Cookie: "rsvg_lang=ko" }))).toBe("ko");
    expect(chooseLanguage(request({ "Accept-Language": "ko", Cookie: "rsvg_lang=xx" }))).toBe("ko");
  });

  it("sets <html lang> and the text", async () => {
    const ko = await (await get("/", { ...HTML, "Accept-Language": "ko" })).text();
    expect(ko).toContain('<html lang="ko">');
    expect(ko).toContain("템플릿으로 시작하기");
    const en = await (await get("/", { ...HTML, "Accept-Language": "ko", Cookie: "rsvg_lang=en" })).text();
    expect(en).toContain('<html lang="en">');
    expect(en).toContain("Start from a template");
  });
});

describe("assets", () => {
  it("serves a built file for good, gzipped when asked", async () => {
    const plain = await get("/ui/page.abc123.js", {});
    expect(plain.status).toBe(200);
    expect(plain.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
    expect(plain.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    expect(plain.headers.get("x-content-type-options")).toBe("nosniff");
    expect(await plain.text()).toBe("console.log(1)");
    const gzipped = await get("/ui/page.abc123.js", { "Accept-Encoding": "gzip, br" });
    expect(gzipped.headers.get("content-encoding")).toBe("gzip");
    const body = await new Response(gzipped.body!.pipeThrough(new DecompressionStream("gzip"))).text();
    expect(body).toBe("console.log(1)");
  });

  it("an unknown asset is a 404", async () => {
    expect((await get("/ui/page.zzz.js", {})).status).toBe(404);
  });
});
