import { describe, expect, it } from "vitest";
import { checkSvgFrame, hasNonXmlChar, NOT_XML_CHAR } from "../../handlers/rendering/svg-check.js";

const DEPTH = 256;
const check = (frame: string, depth = DEPTH) => () => checkSvgFrame(frame, depth);
const refused = (code = "frame_not_svg") => expect.objectContaining({ status: 400, code });

/** Fails the test if `run` takes longer than `ms`: a quadratic pass over a megabyte takes minutes. */
function quickly(run: () => void, ms = 1_000): void {
  const started = performance.now();
  try {
    run();
  } catch {
    // the outcome is checked separately
  }
  expect(performance.now() - started).toBeLessThan(ms);
}

describe("the svg frame check accepts", () => {
  it.each([
    ["a self-closed root", "<svg/>"],
    ["the templates the tests use", "<svg>3</svg>"],
    ["a real SVG", '<svg xmlns="http://www.w3.org/2000/svg" width="200" height="40"><text x="4" y="26">build: ok</text></svg>'],
    ["an XML declaration, a BOM, comments and PIs around the root", '\uFEFF<?xml version="1.0" encoding="UTF-8" standalone="no"?>\n<!-- made by hand -->\n<?xml-stylesheet href="a.css"?><svg/>\n<!-- after --> \n'],
    ["single and double quotes, spaces around =", `<svg a = '1' b="x'y" c='x"y'  ></svg >`],
    ["CDATA, with markup inside", "<svg><style><![CDATA[ a > b { fill: red } <g> ]]></style></svg>"],
    ["the predefined entities and character references", "<svg a=\"&lt;&amp;&quot;\">&lt;&gt;&amp;&apos;&quot;&#34;&#x1F680;&#10;</svg>"],
    ["what LiquidJS's escape writes", "<svg>&lt;script&gt;alert(1)&lt;/script&gt;&amp;&#34;&#39;</svg>"],
    ["namespaces as plain names, an svg:svg root", '<svg:svg xmlns:svg="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"><svg:use xlink:href="#a"/></svg:svg>'],
    ["non-ASCII names and text", "<svg><données été=\"ü\">한국어 🚀</données></svg>"],
    ["'>' and ']]' in text", "<svg>a > b ]] ]></svg>"],
    ["an empty comment and a comment with single dashes", "<svg><!----><!-- a - b --></svg>"],
    ["tab, LF and CR", "<svg>\t\n\r</svg>"],
    ["nesting up to the depth limit", "<svg>" + "<g>".repeat(DEPTH - 1) + "</g>".repeat(DEPTH - 1) + "</svg>"],
  ])("%s", (_name, frame) => {
    expect(check(frame)).not.toThrow();
  });
});

describe("the svg frame check refuses", () => {
  it.each([
    ["text that is not SVG", "hello world", /text before the root element/],
    ["an empty frame", "  \n", /no root element/],
    ["another root element", "<html><body/></html>", /root element is <html>, not <svg>/],
    ["an unclosed root", "<svg><g></g>", /<svg> is not closed/],
    ["an unclosed tag", "<svg", /tag <svg> is not closed/],
    ["a mismatched end tag", "<svg><g></svg></g>", /<\/svg> closes <g>/],
    ["an end tag without a start", "<svg></g></svg>", /<\/g> closes <svg>/],
    ["two roots", "<svg/><svg/>", /content after the root element/],
    ["text after the root", "<svg/>trailing", /content after the root element/],
    ["a DOCTYPE", '<!DOCTYPE svg [<!ENTITY a "aaaa">]><svg>&a;</svg>', /DOCTYPE is not allowed/],
    ["a DOCTYPE inside", "<svg><!DOCTYPE x></svg>", /DOCTYPE is not allowed/],
    ["an entity declaration", "<svg><!ENTITY a 'b'></svg>", /markup declaration/],
    ["an undeclared entity", "<svg>&nbsp;</svg>", /&nbsp; is not one of the five predefined entities/],
    ["a bare ampersand", "<svg>fish & chips</svg>", /expected an entity name/],
    ["an unterminated reference", "<svg>&amp</svg>", /'&amp' is not closed/],
    ["a reference to NUL", "<svg>&#0;</svg>", /character reference/],
    ["a reference to a surrogate", "<svg>&#xD800;</svg>", /character reference/],
    ["a reference past U+10FFFF", "<svg>&#x110000;</svg>", /character reference/],
    ["an empty reference", "<svg>&#;</svg>", /character reference/],
    ["a raw C0 control", "<svg>\u0007</svg>", /U\+0007 is not a character XML allows/],
    ["a raw NUL in an attribute", '<svg a="\u0000"/>', /U\+0000/],
    ["an unpaired surrogate", "<svg>\uD83D</svg>", /U\+D83D/],
    ["U+FFFE", "<svg>\uFFFE</svg>", /U\+FFFE/],
    ["an attribute without a value", "<svg a></svg>", /attribute a has no value/],
    ["an unquoted attribute", "<svg a=1></svg>", /value of a is not quoted/],
    ["an unclosed attribute value", '<svg a="1/>', /value of a is not closed/],
    ["'<' in an attribute value", '<svg a="<"/>', /'<' in the value of a/],
    ["a duplicate attribute", '<svg a="1" a="2"/>', /attribute a appears twice/],
    ["attributes without whitespace between", '<svg a="1"b="2"/>', /expected whitespace/],
    ["'--' inside a comment", "<svg><!-- a -- b --></svg>", /'--' inside a comment/],
    ["a comment ending in '-'", "<svg><!-- a ---></svg>", /'--' inside a comment/],
    ["an unclosed comment", "<svg><!-- a </svg>", /comment is not closed/],
    ["an unclosed CDATA section", "<svg><![CDATA[ x </svg>", /CDATA section is not closed/],
    ["']]>' in text", "<svg>a ]]> b</svg>", /']]>' in text/],
    ["an unclosed processing instruction", "<svg><?pi x </svg>", /processing instruction is not closed/],
    ["an XML declaration after the start", ' <?xml version="1.0"?><svg/>', /XML declaration that is not at the start/],
    ["a malformed XML declaration", '<?xml encoding="UTF-8"?><svg/>', /malformed XML declaration/],
    ["a '<' that starts no tag", "<svg>a < b</svg>", /expected an element name/],
    ["a name starting with a digit", "<svg><1a/></svg>", /expected an element name/],
  ])("%s", (_name, frame, reason) => {
    expect(check(frame)).toThrow(refused());
    expect(check(frame)).toThrow(reason);
  });

  it("nesting past the depth limit, with its own code", () => {
    const frame = "<svg>" + "<g>".repeat(DEPTH) + "</g>".repeat(DEPTH) + "</svg>";
    expect(check(frame)).toThrow(refused("frame_too_deep"));
    expect(check(frame)).toThrow(/deeper than 256 \(MAX_SVG_DEPTH\)/);
  });

  it("names line and column", () => {
    expect(check("<svg>\n  <g>\n  </h>\n</svg>")).toThrow(/line 3, column 3/);
  });
});

describe("the svg frame check on pathological frames of a megabyte", () => {
  const MB = 1024 * 1024;
  it.each([
    ["<a> nested a megabyte deep under an svg root", "<svg>" + "<a>".repeat(MB / 3), "frame_too_deep"],
    ["<a> nested a megabyte deep as the root", "<a>".repeat(MB / 3), "frame_not_svg"],
    ["a megabyte of unclosed siblings' text", "<svg>" + "<g/>x".repeat(MB / 5), "frame_not_svg"],
    ["a megabyte of whitespace in an XML declaration", "<?xml version='1.0'" + " ".repeat(MB) + "x?><svg/>", "frame_not_svg"],
    ["a megabyte of attributes", "<svg " + Array.from({ length: MB / 10 }, (_, i) => `a${i}="1"`).join(" ") + ">", "frame_not_svg"],
    ["a megabyte of references", "<svg>" + "&amp;".repeat(MB / 5) + "&nope;</svg>", "frame_not_svg"],
    ["a megabyte of ']]'", "<svg>" + "]".repeat(MB) + ">", "frame_not_svg"],
    ["a megabyte of comments", "<svg>" + "<!-- - -->".repeat(MB / 10), "frame_not_svg"],
    ["a megabyte of dashes in an open comment", "<svg><!--" + "-x".repeat(MB / 2), "frame_not_svg"],
    ["a megabyte-long name", "<svg><" + "n".repeat(MB), "frame_not_svg"],
    ["a megabyte of open CDATA", "<svg><![CDATA[" + "]]".repeat(MB / 2), "frame_not_svg"],
  ])("%s is refused fast", (_name, frame, code) => {
    expect(check(frame)).toThrow(refused(code));
    quickly(check(frame));
  });

  it("a megabyte of well-formed siblings is accepted fast", () => {
    const frame = "<svg>" + '<rect x="1" y="2"/>&amp;<!-- c --><![CDATA[ < ]]>'.repeat(MB / 50) + "</svg>";
    expect(check(frame)).not.toThrow();
    quickly(check(frame));
  });
});

describe("hasNonXmlChar", () => {
  it("agrees with NOT_XML_CHAR on every boundary of XML's Char production and on random strings", () => {
    const units = [0x0, 0x8, 0x9, 0xa, 0xb, 0xc, 0xd, 0xe, 0x1f, 0x20, 0x7f, 0xd7ff, 0xd800, 0xdbff, 0xdc00, 0xdfff, 0xe000, 0xfffd, 0xfffe, 0xffff];
    for (const unit of units) {
      const text = `a${String.fromCharCode(unit)}b`;
      expect(hasNonXmlChar(text), unit.toString(16)).toBe(NOT_XML_CHAR.test(text));
    }
    expect(hasNonXmlChar("pair 😀 kept")).toBe(false);
    expect(hasNonXmlChar("lone \ud83d here")).toBe(true);
    let seed = 11;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31);
    for (let round = 0; round < 2000; round++) {
      const text = String.fromCharCode(...Array.from({ length: next() % 12 }, () => units[next() % units.length]!));
      expect(hasNonXmlChar(text), JSON.stringify(text)).toBe(NOT_XML_CHAR.test(text));
    }
  });
});
