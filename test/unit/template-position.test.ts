import { describe, expect, it } from "vitest";
import { AppError } from "../../handlers/http/errors.js";
import { errorResponse } from "../../handlers/http/respond.js";
import { DEFAULT_LIMITS } from "../../handlers/options.js";
import { Renderer } from "../../handlers/rendering/liquid.js";
import { checkSvgFrame } from "../../handlers/rendering/svg-check.js";
import { liquidErrorPosition, positionAt } from "../../handlers/rendering/template-position.js";

const renderer = new Renderer(DEFAULT_LIMITS);

function thrown(run: () => unknown): AppError {
  try {
    run();
  } catch (error) {
    if (error instanceof AppError) return error;
    throw error;
  }
  throw new Error("did not throw");
}

async function rejected(run: () => Promise<unknown>): Promise<AppError> {
  try {
    await run();
  } catch (error) {
    if (error instanceof AppError) return error;
    throw error;
  }
  throw new Error("did not reject");
}

describe("positionAt", () => {
  it("is 1-based in lines and columns", () => {
    expect(positionAt("abc", 0)).toEqual({ line: 1, column: 1 });
    expect(positionAt("abc", 2)).toEqual({ line: 1, column: 3 });
    expect(positionAt("ab\ncd\nef", 3)).toEqual({ line: 2, column: 1 });
    expect(positionAt("ab\ncd\nef", 7)).toEqual({ line: 3, column: 2 });
  });

  it("ends lines at LF, so CRLF text numbers lines the same and a CR is its line's last column", () => {
    expect(positionAt("ab\r\ncd", 4)).toEqual({ line: 2, column: 1 });
    expect(positionAt("ab\r\ncd", 2)).toEqual({ line: 1, column: 3 });
  });

  it("counts UTF-16 code units, as JavaScript strings and editors index them", () => {
    expect(positionAt("🙂x", 2)).toEqual({ line: 1, column: 3 });
    expect(positionAt("é\n한글x", 4)).toEqual({ line: 2, column: 3 });
  });

  it("clamps an offset outside the text", () => {
    expect(positionAt("ab\ncd", 99)).toEqual({ line: 2, column: 3 });
    expect(positionAt("ab", -4)).toEqual({ line: 1, column: 1 });
  });
});

describe("liquidErrorPosition", () => {
  it("reads the token's offset in its input, not the message", () => {
    const error = Object.assign(new Error("no position words here"), { token: { input: "a\nbc{{ x }}", begin: 4 } });
    expect(liquidErrorPosition(error)).toEqual({ line: 2, column: 3 });
  });

  it("names nothing for errors without a token, or a token of another text", () => {
    expect(liquidErrorPosition(new Error("x"))).toBeUndefined();
    expect(liquidErrorPosition("x")).toBeUndefined();
    expect(liquidErrorPosition(null)).toBeUndefined();
    expect(liquidErrorPosition({ token: { input: 3, begin: 0 } })).toBeUndefined();
    expect(liquidErrorPosition({ token: { input: "partial", begin: 0 } }, "the template")).toBeUndefined();
  });
});

describe("template errors carry line and column", () => {
  // Each agrees with the "line:L, col:C" LiquidJS writes into its message.
  const syntax: Array<[string, number, number]> = [
    ["<svg>\n  {{ x | nofilter }}</svg>", 2, 3],
    ["<svg>\n {% if %}</svg>", 2, 7],
    ["a\nb {% for x in y %}", 2, 3],
    ["a\n  {{ 'x' | ", 2, 3],
    ["é\n🙂 {% unknowntag %}", 2, 4],
    ["\r\n\t{{ a | nofilter }}", 2, 2],
  ];
  it.each(syntax)("template_syntax of %j at %i:%i", (template, line, column) => {
    const error = thrown(() => renderer.parse(template));
    expect(error.code).toBe("template_syntax");
    expect(error.details).toEqual({ line, column });
    expect(error.message).toContain(`line:${line}, col:${column}`);
  });

  it("render_failed at the tag that failed", async () => {
    const error = await rejected(() => renderer.render(renderer.parse("<svg>\n\n   {% include 'a' %}</svg>"), {}));
    expect(error.code).toBe("render_failed");
    expect(error.details).toEqual({ line: 3, column: 4 });
  });

  it("render_limit_exceeded at the loop that ran past the memory limit", async () => {
    const error = await rejected(() => renderer.render(renderer.parse("<svg>\n {% for i in (1..100000000) %}{{ i }}{% endfor %}</svg>"), {}));
    expect(error.code).toBe("render_limit_exceeded");
    expect(error.details).toEqual({ line: 2, column: 2 });
  });

  it("errors without a position in the template carry none", () => {
    expect(thrown(() => renderer.parse("  ")).details).toEqual({});
    const big = new Renderer({ ...DEFAULT_LIMITS, maxFrameBytes: 1024 });
    return rejected(() => big.render(big.parse("<svg>{{ a }}</svg>"), { a: "x".repeat(2000) })).then((error) => {
      expect(error.code).toBe("frame_too_large");
      expect(error.details).toEqual({});
    });
  });
});

describe("frame_not_svg carries frame_line and frame_column", () => {
  it("a position in the rendered frame, never line and column", () => {
    const error = thrown(() => checkSvgFrame("<svg>\n  <g>\n</svg>", 256));
    expect(error.code).toBe("frame_not_svg");
    expect(error.details).toEqual({ frame_line: 3, frame_column: 1 });
    expect(error.message).toContain("</svg> closes <g> (line 3, column 1)");
  });

  it("at a forbidden character", () => {
    expect(thrown(() => checkSvgFrame("<svg>\nab\u0001</svg>", 256)).details).toEqual({ frame_line: 2, frame_column: 3 });
  });
});

describe("the error body", () => {
  it("is {error, code, line, column} when the error has a position", async () => {
    const response = errorResponse(thrown(() => renderer.parse("<svg>\n {% if %}</svg>")), () => undefined);
    expect(response.status).toBe(400);
    const body = (await response.json()) as Record<string, unknown>;
    expect(Object.keys(body).sort()).toEqual(["code", "column", "error", "line"]);
    expect(body).toMatchObject({ code: "template_syntax", line: 2, column: 7 });
  });

  it("is {error, code} when it has none", async () => {
    const body = (await errorResponse(new AppError("invalid_template", "template is empty"), () => undefined).json()) as object;
    expect(Object.keys(body).sort()).toEqual(["code", "error"]);
  });
});
