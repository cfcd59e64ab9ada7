/**
 * Templates written to hurt the server: each is refused at create time with a 4xx in well under a
 * second, no request ever reaches a URL a template names (a listener on 127.0.0.1 counts them), and
 * the server still renders normally afterwards.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTinyServer, type TinyServer } from "./support/browser.js";
import { createSession, startRenderServer, type RenderServer } from "./support/render-server.js";

let server: RenderServer;
let listener: TinyServer;
const seen: string[] = [];

beforeAll(async () => {
  listener = await startTinyServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    res.writeHead(200, { "Content-Type": "image/png" }).end();
  });
  server = await startRenderServer();
});
afterAll(async () => {
  await server?.close();
  await listener?.close();
});

const flex = (inner: string) => `<div style="display:flex;width:100%;height:100%">${inner}</div>`;
const PIXEL = "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==";

type Case = [name: string, template: () => string, args: Record<string, unknown>, code: string | RegExp];

const HTML_CORPUS: Case[] = [
  ["nested loops", () => "{% for a in (1..100000) %}{% for b in (1..100000) %}x{% endfor %}{% endfor %}", {}, /render_limit_exceeded/],
  ["a huge output", () => "{% for i in (1..200000) %}<span>xxxxxxxxxxxxxxxx</span>{% endfor %}", {}, /render_limit_exceeded|frame_too_large/],
  ["too many elements", () => flex("{% for i in (1..5000) %}<span>a</span>{% endfor %}"), {}, /markup_too_large/],
  ["a huge text", () => flex("{% for i in (1..20000) %}word {% endfor %}"), {}, /markup_too_large/],
  ["deeply nested markup", () => "<div>".repeat(2000) + "x" + "</div>".repeat(2000), {}, /markup_too_deep/],
  ["an unterminated element", () => `<div style="display:flex">never closed`, {}, /markup_syntax/],
  ["an unterminated tag", () => `<div style="display:flex`, {}, /markup_syntax/],
  ["an unterminated comment", () => flex("<!-- x"), {}, /markup_syntax/],
  ["a mismatched close", () => `<div><span>x</div></span>`, {}, /markup_syntax/],
  ["a script element", () => flex("<script>fetch('http://169.254.169.254/')</script>"), {}, /element_not_allowed/],
  ["a style element", () => flex("<style>@import url(http://x/)</style>"), {}, /element_not_allowed/],
  ["foreignObject", () => `<svg><foreignObject><div>x</div></foreignObject></svg>`, {}, /element_not_allowed/],
  ["an event-handler attribute", () => flex(`<img src="${PIXEL}" width="1" height="1" onerror="alert(1)">`), {}, /event_handler/],
  ["an onload on a div", () => `<div onload="x" style="display:flex">a</div>`, {}, /event_handler/],
  ["an external <img src>", () => flex(`<img src="LISTENER/img.png" width="10" height="10">`), {}, /external_reference/],
  ["an external <img> from args", () => flex(`<img src="{{ u }}" width="10" height="10">`), { u: "LISTENER/arg.png" }, /external_reference/],
  ["a protocol-relative <img>", () => flex(`<img src="//LISTENER_HOST/rel.png" width="10" height="10">`), {}, /external_reference/],
  ["a background-image URL", () => `<div style="display:flex;background-image:url(LISTENER/bg.png)">x</div>`, {}, /external_reference/],
  ["a quoted background URL", () => `<div style="display:flex;background:url('LISTENER/bg2.png')">x</div>`, {}, /external_reference/],
  ["an SVG <image href>", () => flex(`<svg width="10" height="10"><image href="LISTENER/svg.png"/></svg>`), {}, /element_not_allowed/],
  ["an SVG <use href>", () => flex(`<svg width="10" height="10"><use href="LISTENER/use.svg#a"/></svg>`), {}, /element_not_allowed/],
  ["a fill URL", () => flex(`<svg width="10" height="10"><rect width="10" height="10" fill="url(LISTENER/f.svg#p)"/></svg>`), {}, /external_reference/],
  ["an entity-encoded URL", () => flex(`<img src="&#104;ttp://LISTENER_HOST/ent.png" width="10" height="10">`), {}, /external_reference/],
  ["unknown filters (strictFilters)", () => "{{ 1 | nope }}", {}, /template_syntax|render_failed/],
  ["an include of a file", () => "{% include '/etc/passwd' %}", {}, /render_failed|template_syntax/],
];

const fill = (template: string) =>
  template.replaceAll("LISTENER_HOST", listener.url.replace("http://", "")).replaceAll("LISTENER", listener.url);

describe("hostile html templates", () => {
  it.each(HTML_CORPUS)("%s is refused with a 4xx in under a second", async (name, template, args, code) => {
    const started = performance.now();
    const filledArgs = JSON.parse(fill(JSON.stringify(args))) as Record<string, unknown>;
    const { response, json } = await createSession(server.url, {
      session_id: `h-${name.replace(/\W+/g, "-")}`,
      template: fill(template()),
      args: filledArgs,
      kind: "html",
      width: 400,
      height: 120,
    });
    const ms = performance.now() - started;
    expect(response.status, JSON.stringify(json)).toBeGreaterThanOrEqual(400);
    expect(response.status).toBeLessThan(500);
    expect(String(json["code"])).toMatch(code);
    expect(ms).toBeLessThan(1000);
  });

  it("an update to an external URL is refused and keeps the old frame", async () => {
    const template = flex(`<img src="{{ u }}" width="10" height="10">`);
    const created = await createSession(server.url, {
      session_id: "upd",
      template,
      args: { u: PIXEL },
      kind: "html",
      width: 40,
      height: 20,
    });
    expect(created.response.status).toBe(201);
    const before = await (await fetch(`${server.url}/svg/upd`)).text();
    const put = await fetch(`${server.url}/api/session/upd`, {
      method: "PUT",
      headers: { Authorization: `Bearer ${String(created.json["write_token"])}`, "Content-Type": "application/json" },
      body: JSON.stringify({ args: { u: `${listener.url}/update.png` } }),
    });
    expect(put.status).toBe(400);
    expect((await put.json()).code).toBe("external_reference");
    expect(await (await fetch(`${server.url}/svg/upd`)).text()).toBe(before);
  });
});

describe("hostile svg templates", () => {
  it.each(HTML_CORPUS.slice(0, 2))("%s is refused with a 4xx in under a second", async (name, template, _args, code) => {
    const started = performance.now();
    const { response, json } = await createSession(server.url, { session_id: `s-${name.replace(/\W+/g, "-")}`, template: template() });
    expect(response.status).toBe(400);
    expect(String(json["code"])).toMatch(code);
    expect(performance.now() - started).toBeLessThan(1000);
  });
});

describe("svg sessions with external references", () => {
  it("are stored (a browser loads nothing from an <img> SVG) but the PNG renderer fetches nothing", async () => {
    const template =
      `<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="40" height="20">` +
      `<rect width="40" height="20" fill="#00f"/>` +
      `<image href="${listener.url}/svg-image.png" width="10" height="10"/>` +
      `<image xlink:href="${listener.url}/svg-xlink.png" width="10" height="10"/>` +
      `<use href="${listener.url}/use.svg#x"/>` +
      `<style>@import url(${listener.url}/import.css); rect { fill: url(${listener.url}/fill.svg#p) }</style>` +
      `</svg>`;
    const created = await createSession(server.url, { session_id: "svg-ext", template });
    expect(created.response.status).toBe(201);
    const png = await fetch(`${server.url}/png/svg-ext`);
    expect(png.status).toBe(200);
    expect((await png.arrayBuffer()).byteLength).toBeGreaterThan(0);
  });
});

describe("after the corpus", () => {
  it("no request reached the listener, and the server still renders at once", async () => {
    // Give any stray fetch time to arrive before concluding none was made.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(seen).toEqual([]);
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
    const started = performance.now();
    const ok = await createSession(server.url, {
      session_id: "healthy",
      template: flex(`<span>fine</span><img src="${PIXEL}" width="10" height="10">`),
      kind: "html",
      width: 100,
      height: 40,
    });
    expect(ok.response.status).toBe(201);
    expect(performance.now() - started).toBeLessThan(500);
    expect((await fetch(`${server.url}/png/healthy`)).status).toBe(200);
  });
});
