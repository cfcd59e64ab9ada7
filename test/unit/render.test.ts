import { describe, expect, it } from "vitest";
import { DEFAULT_LIMITS } from "../../handlers/options.js";
import { Renderer } from "../../handlers/rendering/liquid.js";

const renderer = new Renderer(DEFAULT_LIMITS);
const render = (template: string, args: Record<string, unknown> = {}) =>
  renderer.render(renderer.parse(template), args);

describe("rendering", () => {
  it("substitutes arguments", async () => {
    expect(await render("<svg><text>{{ count }} builds</text></svg>", { count: 3 })).toBe(
      "<svg><text>3 builds</text></svg>",
    );
  });

  it("escapes an argument's markup for XML", async () => {
    expect(await render("<svg>{{ a }}</svg>", { a: `<script>alert(1)</script>&"'` })).toBe(
      "<svg>&lt;script&gt;alert(1)&lt;/script&gt;&amp;&#34;&#39;</svg>",
    );
  });

  it("rejects a template that does not parse, naming line and column", () => {
    expect(() => renderer.parse("<svg>\n{% if x %}</svg>")).toThrow(
      expect.objectContaining({ status: 400, code: "template_syntax", message: expect.stringMatching(/line:2, col:1/) }),
    );
  });

  it("rejects unknown filters at parse time", () => {
    expect(() => renderer.parse("{{ a | nope }}")).toThrow(expect.objectContaining({ code: "template_syntax" }));
  });

  it("cannot read files through include or render", async () => {
    for (const template of ["{% include '/etc/passwd' %}", "{% render 'package.json' %}", "{% layout '/etc/hosts' %}x"]) {
      await expect(render(template)).rejects.toMatchObject({ status: 400, code: "render_failed" });
    }
  });

  it("sees only the arguments' own properties", async () => {
    expect(await render("{{ a.constructor.name }}{{ a.__proto__ }}|{{ a.x }}", { a: { x: 1 } })).toBe("|1");
  });

  it("rejects a template above the size limit", () => {
    const small = new Renderer({ ...DEFAULT_LIMITS, maxTemplateBytes: 100 });
    expect(() => small.parse(`<svg>${"x".repeat(100)}</svg>`)).toThrow(
      expect.objectContaining({ status: 400, code: "template_too_large" }),
    );
  });

  it("counts template size in UTF-8 bytes", () => {
    const small = new Renderer({ ...DEFAULT_LIMITS, maxTemplateBytes: 100 });
    expect(() => small.parse("é".repeat(60))).toThrow(expect.objectContaining({ code: "template_too_large" }));
  });

  it("rejects args above the size limit", () => {
    const small = new Renderer({ ...DEFAULT_LIMITS, maxArgsBytes: 50 });
    expect(() => small.checkArgs({ text: "y".repeat(60) })).toThrow(
      expect.objectContaining({ status: 400, code: "args_too_large" }),
    );
    expect(() => small.checkArgs({ text: "ok" })).not.toThrow();
  });

  it("stops a render that runs past its time budget", async () => {
    const quick = new Renderer({ ...DEFAULT_LIMITS, renderTimeoutMs: 50 });
    const started = performance.now();
    await expect(
      quick.render(quick.parse("{% for i in (1..5000) %}{% for j in (1..5000) %}{{ j }}{% endfor %}{% endfor %}"), {}),
    ).rejects.toMatchObject({ status: 400, code: "render_limit_exceeded", message: expect.stringMatching(/render limit/) });
    expect(performance.now() - started).toBeLessThan(1_000);
  });

  it("stops a render that allocates past its memory budget", async () => {
    const lean = new Renderer({ ...DEFAULT_LIMITS, renderMemoryBytes: 100_000 });
    const doubling = "{% assign s = 'xxxxxxxxxx' %}{% for i in (1..30) %}{% assign s = s | append: s %}{% endfor %}{{ s }}";
    await expect(lean.render(lean.parse(doubling), {})).rejects.toMatchObject({ code: "render_limit_exceeded" });
  });

  it("refuses a huge range before allocating it, with the default limits", async () => {
    const started = performance.now();
    await expect(render("{% for i in (1..100000000) %}x{% endfor %}")).rejects.toMatchObject({
      code: "render_limit_exceeded",
    });
    expect(performance.now() - started).toBeLessThan(1_000);
  });

  it("rejects a frame above the frame size limit", async () => {
    const tight = new Renderer({ ...DEFAULT_LIMITS, maxFrameBytes: 1024 });
    await expect(tight.render(tight.parse("{{ a }}"), { a: "z".repeat(2000) })).rejects.toMatchObject({
      code: "frame_too_large",
    });
  });
});
