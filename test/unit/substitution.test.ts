import { describe, expect, it, vi } from "vitest";
import { DEFAULT_LIMITS } from "../../handlers/options.js";
import { Renderer } from "../../handlers/rendering/liquid.js";
import { Substitution } from "../../handlers/rendering/substitution.js";
import { checkSvgFrame } from "../../handlers/rendering/svg-check.js";
import { BADGE_TEMPLATE } from "../../bench/badge.js";

/** A small seeded generator (mulberry32), so a failure names the seed that shows it. */
function random(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(items: readonly T[]): T => items[int(items.length)]!;
  return { next, int, pick };
}

const MARKUP = ["<svg>", "</svg>", "<text x='1'>", "</text>", " ", "\n", "{", "}", "}}", "{ {", "<", ">", "&amp;", '"', "'", "é", "😀", "%", "-", "x"];
const NAMES = ["a", "b", "label", "_x", "__proto__", "constructor", "toString", "missing", "A1"];
const SPACES = ["", " ", "  ", "\n", "\t"];
const VALUES: unknown[] = [
  "", "plain", `<b>&"'</b>`, "é😀", "  spaced  ", 0, -0, 1.5, 1e21, -7, true, false, null,
  [], ["x", 1, null, ["<", [true]]], { x: 1 }, { toString: "no" }, [{ a: 1 }],
];

function simpleTemplate(r: ReturnType<typeof random>): string {
  let template = "";
  // Never "{{" but where an output starts, nor "{%": those are markup no substitution takes.
  const append = (piece: string) => (template += template.endsWith("{") && /^[{%]/.test(piece) ? ` ${piece}` : piece);
  for (let i = r.int(6); i >= 0; i--) {
    for (let j = r.int(3); j > 0; j--) append(r.pick(MARKUP));
    if (r.next() < 0.8) append(`{{${r.pick(SPACES)}${r.pick(NAMES)}${r.pick(SPACES)}}}`);
  }
  return template.trim() === "" ? "<svg/>" : template;
}

function randomArgs(r: ReturnType<typeof random>): Record<string, unknown> {
  // Through JSON, as a request's arguments arrive ("__proto__" becomes an own key).
  const entries = NAMES.filter(() => r.next() < 0.6).map((name) => [name, r.pick(VALUES)]);
  return JSON.parse(JSON.stringify(Object.fromEntries(entries))) as Record<string, unknown>;
}

// The engine alone (no cache, so no substitutions) against the renderer as it serves.
const engineOnly = new Renderer({ ...DEFAULT_LIMITS, templateCacheBytes: 0 });
const serving = new Renderer(DEFAULT_LIMITS);

describe("substitution templates", () => {
  it("renders the same bytes as LiquidJS for generated templates and arguments, or fails the same way", async () => {
    const render = vi.spyOn(Substitution.prototype, "render");
    const outcome = (renderer: Renderer, template: string, args: Record<string, unknown>) =>
      renderer.render(renderer.parse(template), args).catch((error: Error) => error);
    let frames = 0;
    for (let seed = 1; seed <= 400; seed++) {
      const r = random(seed);
      const template = simpleTemplate(r);
      expect(Substitution.of(template), `seed ${seed}: ${template}`).not.toBeNull();
      for (let k = 0; k < 5; k++) {
        const args = randomArgs(r);
        const expected = await outcome(engineOnly, template, args);
        expect(await outcome(serving, template, args), `seed ${seed}: ${template} ${JSON.stringify(args)}`).toEqual(expected);
        if (typeof expected === "string") frames++;
      }
    }
    // The comparison went through the substitution (the engine-only renderer never does), and
    // most renders succeed (an object argument, `{"toString": "no"}` among them, fails in both).
    expect(render).toHaveBeenCalledTimes(2000);
    expect(frames).toBeGreaterThan(1000);
    render.mockRestore();
  });

  it("leaves tags, filters, paths, whitespace control and names LiquidJS resolves specially to the engine", () => {
    for (const template of [
      "{% if a %}x{% endif %}", "{{ a | upcase }}", "{{ a | raw }}", "{{ a.b }}", "{{ a[0] }}", "{{- a }}", "{{ a -}}",
      "{{ size }}", "{{ first }}", "{{ last }}", "{{ true }}", "{{ nil }}", "{{ empty }}", "{{ blank }}", "{{ 1 }}",
      "{{ 'a' }}", "{{{ a }}", "{{ a-b }}", "{%raw%}{{ a }}{%endraw%}",
    ]) {
      expect(Substitution.of(template), template).toBeNull();
    }
    expect(Substitution.of(BADGE_TEMPLATE)).not.toBeNull();
    expect(Substitution.of("no outputs at all")).not.toBeNull();
  });

  it("counts the outputs against RENDER_MEMORY_BYTES as the engine does, to the character", async () => {
    const template = "<svg>{{ a }}{{ a }}{{ a }}</svg>";
    for (const [length, fits] of [[333, true], [334, false]] as const) {
      const args = { a: "&".repeat(length) };
      const limits = { ...DEFAULT_LIMITS, renderMemoryBytes: 1000 };
      const outcomes = await Promise.all(
        [new Renderer({ ...limits, templateCacheBytes: 0 }), new Renderer(limits)].map(async (renderer) => {
          try {
            return (await renderer.render(renderer.parse(template), args)).length;
          } catch (error) {
            return (error as { code: string }).code;
          }
        }),
      );
      expect(outcomes[0]).toBe(fits ? 11 + 3 * 5 * length : "render_limit_exceeded");
      expect(outcomes[1]).toBe(outcomes[0]);
    }
  });

  const ESCAPED_VALUES = ["", "x", "xml", "XML", "1", "-", "--", "->", " ", "a b", "]]", "]", "?", "!", ":", "svg", "&amp;", `<>&"'`, "é", "\t", "x=", "=", "/"];
  const escape = (text: string) => text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&#34;", "'": "&#39;" })[c]!);
  const CONTEXTS = [
    "<svg>{{ v }}</svg>", "<svg x='{{ v }}'/>", '<svg><text y="{{ v }}">{{ v }}</text></svg>', "<svg><!-- {{ v }} --></svg>",
    "<svg><!--{{ v }}--></svg>", "<svg><?pi {{ v }}?></svg>", "<svg><?{{ v }} x?></svg>", "<svg><?p{{ v }} x?></svg>",
    "<svg><![CDATA[{{ v }}]]></svg>", "<svg><{{ v }}/></svg>", "<svg><g{{ v }}/></svg>", "<svg><g {{ v }}/></svg>",
    "<svg><g {{ v }}='1'/></svg>", "<svg><g a{{ v }}='1'/></svg>", "<svg><g a='1'{{ v }}/></svg>", "<svg>&{{ v }};</svg>",
    "<svg>&am{{ v }};</svg>", "<svg>&#{{ v }};</svg>", "{{ v }}<svg/>", "<svg/>{{ v }}", "<?xml version='1.{{ v }}'?><svg/>",
    "<{{ v }}svg/>", "<svg{{ v }}/>", "<svg></svg{{ v }}>", "<svg></{{ v }}>", BADGE_TEMPLATE.replaceAll("label", "v"),
  ];

  it("skips the frame's SVG check only where any escaped output keeps the document an SVG document", () => {
    let safe = 0;
    for (const context of CONTEXTS) {
      const substitution = Substitution.of(context)!;
      expect(substitution, context).not.toBeNull();
      if (substitution.svgSafe(DEFAULT_LIMITS.maxSvgDepth)) safe++;
      for (const value of ESCAPED_VALUES) {
        const frame = substitution.render({ v: value }, 1e6)!;
        expect(frame).toContain(escape(value));
        let full: unknown = null;
        try {
          checkSvgFrame(frame, DEFAULT_LIMITS.maxSvgDepth);
        } catch (error) {
          full = error;
        }
        if (full === null) expect(() => substitution.checkSvg(frame, DEFAULT_LIMITS.maxSvgDepth), `${context} ${value}`).not.toThrow();
        else expect(() => substitution.checkSvg(frame, DEFAULT_LIMITS.maxSvgDepth), `${context} ${value}`).toThrow((full as Error).message);
      }
    }
    // Text, attribute values, PI bodies, CDATA and the badge are safe; every other place is not.
    expect(safe).toBe(6);
    expect(Substitution.of(BADGE_TEMPLATE)!.svgSafe(DEFAULT_LIMITS.maxSvgDepth)).toBe(true);
    expect(Substitution.of("<svg><!-- {{ v }} --></svg>")!.svgSafe(DEFAULT_LIMITS.maxSvgDepth)).toBe(false);
  });

  it("still refuses a frame whose characters XML forbids, and markup too deep for MAX_SVG_DEPTH", () => {
    const substitution = Substitution.of("<svg><text>{{ v }}</text></svg>")!;
    expect(() => substitution.checkSvg(substitution.render({ v: "a\u0001" }, 1e6)!, 64)).toThrow(expect.objectContaining({ code: "frame_not_svg" }));
    expect(substitution.svgSafe(64)).toBe(true);
    expect(substitution.svgSafe(1)).toBe(false);
    expect(() => substitution.checkSvg(substitution.render({ v: "a" }, 1e6)!, 1)).toThrow(expect.objectContaining({ code: "frame_too_deep" }));
  });
});

describe("parsed templates", () => {
  it("are parsed once while kept within TEMPLATE_CACHE_BYTES, and not kept past a quarter of it", () => {
    const renderer = new Renderer({ ...DEFAULT_LIMITS, templateCacheBytes: 64 * 1024 });
    expect(renderer.parse(BADGE_TEMPLATE)).toBe(renderer.parse(BADGE_TEMPLATE));
    const big = `<svg>${"{{ a }}".repeat(20)}</svg>`; // 20 outputs × 1,200 > 16 KiB
    expect(renderer.parse(big)).not.toBe(renderer.parse(big));
    const none = new Renderer({ ...DEFAULT_LIMITS, templateCacheBytes: 0 });
    expect(none.parse(BADGE_TEMPLATE)).not.toBe(none.parse(BADGE_TEMPLATE));
  });

  it("drop the least recently used first", () => {
    const renderer = new Renderer({ ...DEFAULT_LIMITS, templateCacheBytes: 4 * 4_000 });
    const t = (i: number) => `<svg>${i}{{ a }}</svg>`; // about 1,230 counted each: 13 fit
    const first = renderer.parse(t(0));
    for (let i = 1; i < 12; i++) renderer.parse(t(i));
    expect(renderer.parse(t(0))).toBe(first); // used again: now the most recent
    for (let i = 12; i < 24; i++) renderer.parse(t(i));
    expect(renderer.parse(t(0))).not.toBe(first);
  });
});
