import { describe, expect, it } from "vitest";
import { AppError } from "../../handlers/http/errors.js";
import { parseMarkup, type MarkupLimits, type MarkupNode } from "../../handlers/rendering/markup.js";

const LIMITS: MarkupLimits = { maxHtmlNodes: 1000, maxHtmlDepth: 32 };
const parse = (markup: string, limits: MarkupLimits = LIMITS) => parseMarkup(markup, limits);

/** The error `run` throws; fails the test when it throws nothing. */
function thrownBy(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error("expected an error, but nothing was thrown");
}

function expectRejected(markup: string, code: string, limits: MarkupLimits = LIMITS): void {
  const error = thrownBy(() => parse(markup, limits));
  expect(error).toBeInstanceOf(AppError);
  expect(error).toMatchObject({ status: 400, code });
}

/** The props of the single top-level element, without its children. */
function propsOf(markup: string): Record<string, unknown> {
  const props: Record<string, unknown> = { ...parse(markup).props };
  delete props.children;
  return props;
}

const styleOf = (css: string) => parse(`<div style="${css}"></div>`).props.style;

const FULL_SIZE_COLUMN = { display: "flex", flexDirection: "column", width: "100%", height: "100%" };
const PNG = "data:image/png;base64,iVBORw0KGgo=";

describe("parseMarkup: allowed elements", () => {
  const HTML = ["div", "span", "p", "h1", "h2", "h3", "h4", "h5", "h6", "b", "strong", "i", "em", "u", "s", "small"];
  const SVG = [
    "svg", "g", "path", "rect", "circle", "ellipse", "line", "polyline", "polygon", "defs",
    "linearGradient", "radialGradient", "stop", "clipPath", "mask", "pattern",
  ];

  it.each(HTML)("turns <%s> into a %s node with its children", (name) => {
    expect(parse(`<${name}>x</${name}>`)).toEqual({ type: name, props: { children: ["x"] } });
  });

  it.each(SVG)("turns the SVG element <%s> into a %s node", (name) => {
    expect(parse(`<${name}></${name}>`)).toEqual({ type: name, props: { children: [] } });
  });

  it.each([
    ["DIV", "div"],
    ["Span", "span"],
    ["lineargradient", "linearGradient"],
    ["LINEARGRADIENT", "linearGradient"],
    ["radialgradient", "radialGradient"],
    ["CLIPPATH", "clipPath"],
    ["SVG", "svg"],
  ])("reads the element name <%s> case-insensitively as satori's %s", (written, type) => {
    expect(parse(`<${written}></${written}>`).type).toBe(type);
  });

  it("closes an element with a differently-cased end tag", () => {
    expect(parse("<clipPath></CLIPPATH>").type).toBe("clipPath");
  });

  it.each(["br", "hr"])("treats <%s> as a void element without children", (name) => {
    expect(parse(`<${name}>`)).toEqual({ type: name, props: {} });
    expect(parse(`<${name}/>`)).toEqual({ type: name, props: {} });
  });

  it("treats <img> as a void element, so what follows it is a sibling", () => {
    const tree = parse(`<div><img src="${PNG}" width="10" height="10">after</div>`);
    expect(tree.props.children).toEqual([{ type: "img", props: { src: PNG, width: "10", height: "10" } }, "after"]);
  });

  it("gives a self-closed element no children", () => {
    expect(parse("<div><span/><rect /></div>").props.children).toEqual([
      { type: "span", props: {} },
      { type: "rect", props: {} },
    ]);
  });

  it("keeps text and elements in document order", () => {
    expect(parse("<p>a<b>b</b>c<br/>d</p>")).toEqual({
      type: "p",
      props: { children: ["a", { type: "b", props: { children: ["b"] } }, "c", { type: "br", props: {} }, "d"] },
    });
  });

  it("builds a nested SVG tree", () => {
    const tree = parse(
      `<svg viewBox="0 0 10 10"><defs><linearGradient id="g"><stop offset="0" stop-color="red"/></linearGradient></defs>` +
        `<rect width="10" height="10" fill="url(#g)"/></svg>`,
    );
    expect(tree).toEqual({
      type: "svg",
      props: {
        viewBox: "0 0 10 10",
        children: [
          {
            type: "defs",
            props: {
              children: [
                {
                  type: "linearGradient",
                  props: { id: "g", children: [{ type: "stop", props: { offset: "0", stopColor: "red" } }] },
                },
              ],
            },
          },
          { type: "rect", props: { width: "10", height: "10", fill: "url(#g)" } },
        ],
      },
    });
  });
});

describe("parseMarkup: disallowed elements", () => {
  it.each([
    "script", "style", "iframe", "foreignObject", "foreignobject", "image", "object", "embed", "link", "meta", "a",
    "use", "text", "tspan", "textPath", "symbol", "marker", "filter", "feImage", "animate", "set", "animateTransform",
    "title", "html", "head", "body", "base", "form", "input", "textarea", "button", "select", "table", "video",
    "audio", "source", "track", "canvas", "picture", "template", "slot", "frame", "frameset", "noscript", "math",
    "portal", "applet", "xml", "div-x", "svg2",
  ])("rejects <%s> with element_not_allowed", (name) => {
    expectRejected(`<${name}></${name}>`, "element_not_allowed");
  });

  it.each(["SCRIPT", "ScRiPt", "IFRAME", "FOREIGNOBJECT", "Image"])("rejects <%s> whatever its case", (name) => {
    expectRejected(`<${name}>`, "element_not_allowed");
  });

  it("rejects a disallowed element nested deep inside allowed ones", () => {
    expectRejected("<div><svg><g><g><script>alert(1)</script></g></g></svg></div>", "element_not_allowed");
  });

  it("rejects a disallowed element that is self-closed or void-looking", () => {
    expectRejected(`<svg><image href="${PNG}"/></svg>`, "element_not_allowed");
    expectRejected(`<svg><use href="#a"/></svg>`, "element_not_allowed");
  });

  it("rejects a stray end tag of a disallowed element", () => {
    expectRejected("<div></script></div>", "element_not_allowed");
  });
});

describe("parseMarkup: event-handler attributes", () => {
  it.each([
    `<div onclick="alert(1)"></div>`,
    `<svg ONLOAD="alert(1)"></svg>`,
    `<span onMouseOver='x()'></span>`,
    `<img src="${PNG}" onerror=alert(1)>`,
    `<rect onfocus/>`,
    `<div on="x"></div>`,
    `<div\nonclick="x"></div>`,
    `<div\tonclick="x"></div>`,
    `<div/onclick="x"></div>`,
    `<div title="a"onclick="b"></div>`,
    `<div id = "x" ONCLICK = "y"></div>`,
    `<p><b><i onanimationstart="x"></i></b></p>`,
  ])("rejects %j with event_handler", (markup) => {
    expectRejected(markup, "event_handler");
  });

  it("accepts an attribute value that merely mentions a handler", () => {
    expect(propsOf(`<div title="onclick=alert(1)"></div>`)).toEqual({ title: "onclick=alert(1)" });
  });

  it("does not read a double quote inside a single-quoted value as the start of another attribute", () => {
    expect(propsOf(`<div title='x" onclick="y'></div>`)).toEqual({ title: 'x" onclick="y' });
  });

  it("accepts attributes that only begin with the letter o", () => {
    expect(propsOf(`<stop offset="1" opacity="0.5"/>`)).toEqual({ offset: "1", opacity: "0.5" });
  });
});

describe("parseMarkup: URLs in src and href", () => {
  const external = [
    "http://ev.il/x.png",
    "https://ev.il/x.png",
    "HTTP://EV.IL/X",
    "//ev.il/x.png",
    "javascript:alert(1)",
    "JavaScript:alert(1)",
    "file:///etc/passwd",
    "ftp://ev.il/x",
    "blob:https://ev.il/uuid",
    "x.png",
    "/x.png",
    "./x.png",
    "",
    "   ",
    " http://ev.il/x",
    "\thttp://ev.il/x",
    "\nhttp://ev.il/x",
    "'http://ev.il/x",
    "data",
    "dat:a",
    "\\\\ev.il\\share",
  ];

  it.each(external)("rejects src=%j with external_reference", (url) => {
    expectRejected(`<img src="${url}">`, "external_reference");
  });

  it.each(external.filter((url) => !url.includes("'")))("rejects a single-quoted src=%j", (url) => {
    expectRejected(`<img src='${url}'>`, "external_reference");
  });

  it.each(["href", "xlink:href", "XLINK:HREF", "HREF", "xlinkHref", "xlink-href"])(
    "rejects an external URL in the %s attribute",
    (attribute) => {
      expectRejected(`<svg><pattern ${attribute}="http://ev.il/p.svg"></pattern></svg>`, "external_reference");
    },
  );

  it("checks src on every element, not only <img>", () => {
    expectRejected(`<div src="https://ev.il/x"></div>`, "external_reference");
  });

  it("rejects an unquoted external src", () => {
    expectRejected(`<img src=http://ev.il/x.png>`, "external_reference");
  });

  it("rejects every occurrence when src is repeated", () => {
    expectRejected(`<img src="${PNG}" src="http://ev.il/x">`, "external_reference");
  });

  it.each([PNG, "DATA:image/png;base64,AAAA", "Data:image/svg+xml,%3Csvg/%3E", "data:,", "#fragment", "#"])(
    "accepts src=%j",
    (url) => {
      expect(propsOf(`<img src="${url}">`)).toEqual({ src: url });
    },
  );

  it("accepts a data: URI after leading whitespace or a quote, keeping the value as written", () => {
    expect(propsOf(`<img src="  ${PNG}">`)).toEqual({ src: `  ${PNG}` });
    expect(propsOf(`<img src="'${PNG}'">`)).toEqual({ src: `'${PNG}'` });
  });

  it("maps xlink:href in any case to satori's href prop", () => {
    expect(propsOf(`<pattern xlink:href="#p"></pattern>`)).toEqual({ href: "#p" });
    expect(propsOf(`<pattern XLink:Href="#p"></pattern>`)).toEqual({ href: "#p" });
  });

  it("keeps a plain href to a fragment", () => {
    expect(propsOf(`<linearGradient href="#base"></linearGradient>`)).toEqual({ href: "#base" });
  });

  it("accepts namespace declarations, which are not fetched", () => {
    expect(propsOf(`<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"></svg>`)).toEqual({
      xmlns: "http://www.w3.org/2000/svg",
      "xmlns:xlink": "http://www.w3.org/1999/xlink",
    });
  });
});

describe("parseMarkup: URLs and loading constructs in CSS", () => {
  it.each([
    "background-image: url(http://ev.il/x.png)",
    "background-image: url(https://ev.il/x.png)",
    "background-image: url(//ev.il/x.png)",
    "background-image: url( 'http://ev.il/x.png' )",
    "background-image: url(&quot;https://ev.il/x.png&quot;)",
    "background-image: URL(http://ev.il/x.png)",
    "background-image: url (http://ev.il/x.png)",
    "background-image: url(\nhttp://ev.il/x.png)",
    "background-image: url(javascript:alert(1))",
    "background-image: url(x.png)",
    "background-image: url()",
    "background-image: url(#a), url(http://ev.il/x.png)",
    "background-image: url(data:image/png;base64,AAAA), url(http://ev.il/x.png)",
    "mask-image: url(http://ev.il/m.png)",
    "background: red url(http://ev.il/x.png) no-repeat",
  ])("rejects style=%j with external_reference", (css) => {
    expectRejected(`<div style="${css}"></div>`, "external_reference");
  });

  it.each(["fill", "stroke", "mask", "clip-path", "filter", "marker-end", "tw", "title"])(
    "rejects url(http:...) in the %s attribute",
    (attribute) => {
      expectRejected(`<svg><rect ${attribute}="url(http://ev.il/x)"/></svg>`, "external_reference");
    },
  );

  it.each([
    "@import 'http://ev.il/x.css'",
    "@IMPORT url(data:,x)",
    "background-image: image-set('a.png' 1x)",
    "background-image: -webkit-image-set('a.png' 1x)",
    "background-image: IMAGE-SET ('a.png' 1x)",
    "width: expression(alert(1))",
    "width: Expression (alert(1))",
  ])("rejects the resource-loading construct in style=%j", (css) => {
    expectRejected(`<div style="${css}"></div>`, "external_reference");
  });

  it("rejects a loading construct in an attribute other than style", () => {
    expectRejected(`<rect fill="image-set(x)"/>`, "external_reference");
  });

  it.each([
    ["url(#grad)", { fill: "url(#grad)" }],
    ["url('#grad')", { fill: "url('#grad')" }],
    ["url( &quot;#grad&quot; )", { fill: 'url( "#grad" )' }],
    ["URL(DATA:image/png;base64,AAAA)", { fill: "URL(DATA:image/png;base64,AAAA)" }],
  ])("accepts the same-document or inline reference fill=%j", (value, props) => {
    expect(propsOf(`<rect fill="${value}"/>`)).toEqual(props);
  });

  it("accepts a background image that is a data: URI, semicolons included", () => {
    expect(styleOf(`background-image: url(${PNG}); color: red`)).toEqual({
      backgroundImage: `url(${PNG})`,
      color: "red",
    });
  });

  it("accepts words that only contain the letters of url or import", () => {
    expect(styleOf("font-family: Curlz; content: important")).toEqual({ fontFamily: "Curlz", content: "important" });
  });

  describe("a url( cannot hide another declaration or URL", () => {
    const EXTERNAL = "background-image:url(http://ev.il/b)";
    it.each([
      `display:flex;width:100px;height:100px;x:'url(#a';${EXTERNAL}`,
      `x:'url(data:,';${EXTERNAL}`,
      `x:&quot;url(#a&quot;;${EXTERNAL}`,
      `x:&quot;url(data:,&quot;;${EXTERNAL}`,
      `x:'URL(#a';${EXTERNAL}`,
      `x:'Url(#a';background-image:URL(http://ev.il/b)`,
      `x:'url ( #a';background-image:url ( http://ev.il/b )`,
      `x:'url(\n#a';${EXTERNAL}`,
      `x:'url(  &#35;a';${EXTERNAL}`,
      `x:url(url(#a);${EXTERNAL}`,
      `x:'url(url(#a';${EXTERNAL}`,
      `background-image:url(#a url(http://ev.il/b))`,
      `background-image:url('#a' url(http://ev.il/b))`,
      `background-image:url(#a)url(http://ev.il/b)`,
      `background-image:url(#a), url(http://ev.il/b)`,
    ])("rejects style=%j with external_reference", (css) => {
      expectRejected(`<div style="${css}"></div>`, "external_reference");
    });

    it("rejects the double-quoted form of the bypass in a single-quoted style attribute", () => {
      expectRejected(`<div style='x:"url(#a";${EXTERNAL}'></div>`, "external_reference");
      expectRejected(`<div style='x:"url(data:,";${EXTERNAL}'></div>`, "external_reference");
    });

    it.each([
      `x 'url(#a' url(http://ev.il/b)`,
      `x &quot;url(#a&quot; url(http://ev.il/b)`,
      `url(#a url(http://ev.il/b))`,
    ])("rejects fill=%j, an attribute that is not split into declarations", (value) => {
      expectRejected(`<svg><rect fill="${value}"/></svg>`, "external_reference");
    });

    it("checks url( inside quoted strings too, whatever the quoting", () => {
      expectRejected(`<div style="font-family: 'url(http://ev.il/b)'"></div>`, "external_reference");
      expectRejected(`<div style='font-family: "x url(http://ev.il/b)"'></div>`, "external_reference");
      expectRejected(`<div title="'url(http://ev.il/b)'"></div>`, "external_reference");
    });
  });

  it.each([
    ["with no )", "background-image: url(#a"],
    ["with no ) after a data: URI", "background-image: url(data:,x"],
    ["with a quoted argument and no )", "background-image: url('#a'"],
    ["with a quoted argument never closed", "background-image: url('#a)"],
    ["with a double-quoted argument never closed", "background-image: url(&quot;#a)"],
    ["with whitespace inside an unquoted argument", "background-image: url(#a b)"],
    ["with a quote inside an unquoted argument", "background-image: url(#a'b')"],
    ["with ( inside an unquoted argument", "background-image: url(data:,a(b))"],
    ["with text after a quoted argument", "background-image: url('#a' b)"],
    ["at the very end", "background-image: url("],
    ["with only whitespace after it", "background-image: url(   "],
  ])("rejects a malformed url( %s, as external_reference", (_what, css) => {
    expectRejected(`<div style="${css}"></div>`, "external_reference");
  });

  it.each([
    "background-image: u\\rl(http://ev.il/x)",
    "background-image: \\75 rl(http://ev.il/x)",
    "background-image: \\000075rl(http://ev.il/x)",
    "background-image: url\\(http://ev.il/x)",
    "background-image: url(\\68ttp://ev.il/x)",
    "background-image: url(#a\\)",
    "background-image: url(data:,x) \\",
    "font-family: 'a\\'; background-image: url(http://ev.il/x)",
    "background-image: &#92;75rl(http://ev.il/x)",
    "background-image: &#x5C;75rl(http://ev.il/x)",
  ])("rejects the CSS escape in style=%j", (css) => {
    expectRejected(`<div style="${css}"></div>`, "external_reference");
  });

  it.each([
    ["fill", "\\75 rl(http://ev.il/x)"],
    ["mask", "u\\rl(http://ev.il/x)"],
    ["tw", "bg-[u\\rl(http://ev.il/x)]"],
  ])("rejects a CSS escape in the %s attribute", (attribute, value) => {
    expectRejected(`<svg><rect ${attribute}="${value}"/></svg>`, "external_reference");
  });

  it.each([
    "background-image: url/**/(http://ev.il/x)",
    "background-image: url(/**/http://ev.il/x)",
    "background-image: /* x */ url(#a)",
  ])("rejects the CSS comment in style=%j", (css) => {
    expectRejected(`<div style="${css}"></div>`, "external_reference");
  });

  it.each([
    "background-image: -webkit-image-set(url(#a) 1x)",
    "background-image: image('http://ev.il/x')",
    "background-image: IMAGE ('http://ev.il/x')",
    "background-image: image(#a)",
    "background-image: cross-fade(url(#a), url(#b), 50%)",
    "background-image: -webkit-cross-fade(url(#a), url(#b), 50%)",
    "background-image: element(#a)",
    "background-image: -moz-element(#a)",
    "background-image: src('http://ev.il/x')",
    "background-image: ſrc('http://ev.il/x')",
    "background-image: attr(data-x url)",
    "background-image: filter('http://ev.il/x', blur(1px))",
    "width: eXpReSsIoN(1)",
  ])("rejects the loading function in style=%j", (css) => {
    expectRejected(`<div style="${css}"></div>`, "external_reference");
  });

  it.each(["src: url(data:,x)", "SRC: local(x)", "color: red; src: x"])("rejects the src declaration in style=%j", (css) => {
    expectRejected(`<div style="${css}"></div>`, "external_reference");
  });

  it.each([
    ["mask-image", "url(#m)", { maskImage: "url(#m)" }],
    ["background-image", "url( #a )", { backgroundImage: "url( #a )" }],
    ["background-image", "url( 'data:image/svg+xml,%3Csvg%3E(x)%3C/svg%3E' )", {
      backgroundImage: "url( 'data:image/svg+xml,%3Csvg%3E(x)%3C/svg%3E' )",
    }],
    ["background-image", `linear-gradient(red, blue), url(${PNG})`, { backgroundImage: `linear-gradient(red, blue), url(${PNG})` }],
    ["background", `url(#a) no-repeat, url(${PNG}) center`, { background: `url(#a) no-repeat, url(${PNG}) center` }],
    ["transform", "translate(1px, 2px) rotate(45deg)", { transform: "translate(1px, 2px) rotate(45deg)" }],
    ["width", "calc(100% - 2px)", { width: "calc(100% - 2px)" }],
    ["filter", "drop-shadow(0 0 1px rgba(0, 0, 0, 0.5)) blur(1px)", { filter: "drop-shadow(0 0 1px rgba(0, 0, 0, 0.5)) blur(1px)" }],
    ["font-family", "'Image Sans', Curlz", { fontFamily: "'Image Sans', Curlz" }],
  ])("accepts %s: %s", (property, value, style) => {
    expect(styleOf(`${property}: ${value}`)).toEqual(style);
  });

  it.each([
    ["filter", "url(#f)"],
    ["clip-path", "url( '#c' )"],
    ["transform", "translate(1 2) rotate(45)"],
    ["fill", "rgb(1, 2, 3)"],
    ["tw", "w-[calc(100%-2px)] bg-[url(#a)]"],
  ])("accepts the attribute %s=%j", (attribute, value) => {
    expect(propsOf(`<rect ${attribute}="${value}"/>`)).toEqual({ [attribute.replace(/-([a-z])/g, (_, l: string) => l.toUpperCase())]: value });
  });
});

describe("parseMarkup: entities", () => {
  it("decodes the named entities amp, lt, gt, quot, apos and nbsp in text", () => {
    expect(parse("<p>&amp;&lt;&gt;&quot;&apos;&nbsp;</p>").props.children).toEqual(["&<>\"'\u00a0"]);
  });

  it("decodes named entities case-insensitively", () => {
    expect(parse("<p>&AMP;&Lt;&GT;</p>").props.children).toEqual(["&<>"]);
  });

  it("leaves unknown named entities and entities without a semicolon as written", () => {
    expect(parse("<p>&copy; &amp &bogus;</p>").props.children).toEqual(["&copy; &amp &bogus;"]);
  });

  it("decodes decimal and hexadecimal character references", () => {
    expect(parse("<p>&#65;&#x42;&#X43;&#x1F600;&#1114111;</p>").props.children).toEqual(["ABC\u{1F600}\u{10FFFF}"]);
  });

  it("leaves out-of-range and zero code points as written", () => {
    expect(parse("<p>&#0;&#x0;&#x110000;&#1114112;&#99999999999999999999;</p>").props.children).toEqual([
      "&#0;&#x0;&#x110000;&#1114112;&#99999999999999999999;",
    ]);
  });

  it("decodes only once, so a double-encoded entity stays an entity", () => {
    expect(parse("<p>&amp;lt;script&amp;gt;</p>").props.children).toEqual(["&lt;script&gt;"]);
  });

  it("keeps decoded markup characters in text as text, never as elements", () => {
    expect(parse("<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>")).toEqual({
      type: "p",
      props: { children: ["<script>alert(1)</script>"] },
    });
  });

  it("decodes entities in attribute values", () => {
    expect(propsOf(`<div title="a&amp;b &#x3C;c&#62; &quot;d&quot;"></div>`)).toEqual({ title: 'a&b <c> "d"' });
  });

  it.each([
    `<img src="&#104;ttp://ev.il/x">`,
    `<img src="&#x68;ttps://ev.il/x">`,
    `<img src="h&#116;tp://ev.il/x">`,
    `<img src="&#106;avascript:alert(1)">`,
    `<img src=&#104;ttp://ev.il/x>`,
    `<img src="&#32;http://ev.il/x">`,
    `<pattern xlink:href="&#x2F;&#x2F;ev.il/p"></pattern>`,
  ])("checks the decoded URL, so %j is still rejected as external", (markup) => {
    expectRejected(markup, "external_reference");
  });

  it.each([
    `<div style="background-image: url(&#x68;ttp://ev.il/x)"></div>`,
    `<div style="background-image: &#117;rl(http://ev.il/x)"></div>`,
    `<div style="background-image: url&#40;http://ev.il/x&#41;"></div>`,
    `<div style="background-image: url(&quot;http://ev.il/x&quot;)"></div>`,
    `<div style="@&#105;mport 'x.css'"></div>`,
    `<div style="width: &#101;xpression(1)"></div>`,
    `<rect fill="url(&#x2F;&#x2F;ev.il/x)"/>`,
  ])("checks decoded CSS, so %j is still rejected as external", (markup) => {
    expectRejected(markup, "external_reference");
  });

  it("accepts a data: URI whose scheme is written with entities, and hands satori the decoded URI", () => {
    expect(propsOf(`<img src="&#100;ata:,x">`)).toEqual({ src: "data:,x" });
  });

  it("does not decode attribute names, so an encoded handler name is an inert attribute", () => {
    // "&#111;nclick" is not an attribute name satori or a browser would run; it is kept as written.
    expect(Object.keys(propsOf(`<div &#111;nclick="x"></div>`))).not.toContain("onclick");
  });
});

describe("parseMarkup: syntax", () => {
  it.each([
    ["an unclosed element", "<div>never closed"],
    ["an unclosed nested element", "<div><span>x</div>"],
    ["mismatched end tags", "<div><span>x</div></span>"],
    ["a stray end tag", "</div>"],
    ["an end tag after the element closed", "<div></div></div>"],
    ["an end tag for a void element", "<br></br>"],
    ["an end tag for <img>", `<img src="${PNG}"></img>`],
    ["an unterminated comment", "<div><!-- x</div>"],
    ["an unterminated tag", `<div style="display:flex`],
    ["a tag cut off after its name", "<div"],
    ["an unterminated quoted attribute", `<div title="x></div>`],
    ["a lone < in text", "<p>1 < 2</p>"],
    ["an empty tag", "<>"],
    ["an empty end tag", "<div></></div>"],
    ["a tag name starting with a digit", "<1div></1div>"],
    ["a doctype", "<!DOCTYPE html><div></div>"],
    ["a processing instruction", `<?xml version="1.0"?><svg></svg>`],
    ["a CDATA section", "<svg><![CDATA[x]]></svg>"],
    ["a bare <", "<"],
  ])("rejects %s with markup_syntax", (_what, markup) => {
    expectRejected(markup, "markup_syntax");
  });

  it("names the never-closed element in the error", () => {
    expect(thrownBy(() => parse("<div><span>"))).toMatchObject({ code: "markup_syntax", message: expect.stringContaining("<span>") });
  });

  it("drops comments, including any markup inside them", () => {
    expect(parse("<div><!-- <script>alert(1)</script> --><!----><span>a</span><!-- a > b --></div>")).toEqual({
      type: "div",
      props: { children: [{ type: "span", props: { children: ["a"] } }] },
    });
  });

  it("drops a comment around a single top-level element without wrapping it", () => {
    expect(parse("<!-- head --><div></div><!-- tail -->")).toEqual({ type: "div", props: { children: [] } });
  });

  it("accepts > inside a quoted attribute value", () => {
    expect(propsOf(`<div title="a > b" data-x='<'></div>`)).toEqual({ title: "a > b" });
  });

  it("accepts a tag spread over several lines", () => {
    expect(propsOf(`<rect\n  width="1"\n  height="2"\n/>`)).toEqual({ width: "1", height: "2" });
  });
});

describe("parseMarkup: attributes", () => {
  it("reads double-quoted, single-quoted, unquoted and bare attributes", () => {
    expect(propsOf(`<rect a="1" b='2' c=3 d e = "5" f= '6'/>`)).toEqual({ a: "1", b: "2", c: "3", d: "", e: "5", f: "6" });
  });

  it("keeps attribute values as strings, exactly as written", () => {
    expect(propsOf(`<rect width="010" fill="RED" d="M 0 0 L 1 1"/>`)).toEqual({ width: "010", fill: "RED", d: "M 0 0 L 1 1" });
  });

  it("camel-cases kebab-case attribute names and keeps camelCase ones", () => {
    expect(propsOf(`<path stroke-width="2" stroke-linecap="round" fill-rule="evenodd" viewBox="0 0 1 1"/>`)).toEqual({
      strokeWidth: "2",
      strokeLinecap: "round",
      fillRule: "evenodd",
      viewBox: "0 0 1 1",
    });
  });

  it("drops class, data-* and aria-* attributes in any case", () => {
    expect(propsOf(`<div class="a" CLASS="b" data-x="1" DATA-Y="2" aria-label="l" ARIA-hidden="true" id="kept"></div>`)).toEqual({
      id: "kept",
    });
  });

  it("still checks the values of dropped attributes", () => {
    expectRejected(`<div data-bg="url(http://ev.il/x)"></div>`, "external_reference");
    expectRejected(`<div class="x" onclick="y"></div>`, "event_handler");
  });

  it("lets a later attribute of the same name win", () => {
    expect(propsOf(`<rect fill="red" fill="blue"/>`)).toEqual({ fill: "blue" });
  });

  it("ignores the attributes of end tags", () => {
    expect(parse(`<div></div class="x">`)).toEqual({ type: "div", props: { children: [] } });
  });
});

describe("parseMarkup: style", () => {
  it("turns declarations into a camelCased style object", () => {
    expect(styleOf("display: flex; flex-direction: column; background-color: #fff")).toEqual({
      display: "flex",
      flexDirection: "column",
      backgroundColor: "#fff",
    });
  });

  it("lower-cases property names but keeps values as written", () => {
    expect(styleOf("Font-Size: 12PX; COLOR: Red")).toEqual({ fontSize: "12PX", color: "Red" });
  });

  it("camel-cases vendor prefixes the way satori expects", () => {
    expect(styleOf("-webkit-text-stroke: 1px red")).toEqual({ WebkitTextStroke: "1px red" });
  });

  it("does not split on a semicolon inside parentheses", () => {
    expect(styleOf(`background-image: url(data:image/svg+xml;utf8,x); color: red`)).toEqual({
      backgroundImage: "url(data:image/svg+xml;utf8,x)",
      color: "red",
    });
  });

  it("does not split on a semicolon inside quotes", () => {
    expect(parse(`<div style='font-family: "a;b", c; color: red'></div>`).props.style).toEqual({
      fontFamily: '"a;b", c',
      color: "red",
    });
    expect(parse(`<div style="font-family: 'a;b'; color: red"></div>`).props.style).toEqual({
      fontFamily: "'a;b'",
      color: "red",
    });
  });

  it("splits only at the first colon of a declaration", () => {
    expect(styleOf("background-image: url(data:image/png;base64,A:B)")).toEqual({
      backgroundImage: "url(data:image/png;base64,A:B)",
    });
  });

  it("ignores empty declarations, declarations without a colon, a property or a value", () => {
    expect(styleOf(";; color: red ;; nonsense ; : blue ; width: ; height:   ;")).toEqual({ color: "red" });
  });

  it("gives an empty style object for an empty style attribute", () => {
    expect(styleOf("")).toEqual({});
  });

  it("trims whitespace around properties and values", () => {
    expect(styleOf("  margin-top  :   4px   ")).toEqual({ marginTop: "4px" });
  });

  it("lets a later declaration of the same property win", () => {
    expect(styleOf("color: red; color: blue")).toEqual({ color: "blue" });
  });

  it("decodes entities before reading the declarations", () => {
    expect(styleOf("font-family: &quot;Inter&quot;&#59; color: red")).toEqual({ fontFamily: '"Inter"', color: "red" });
  });

  it("reads the style attribute whatever its case", () => {
    expect(parse(`<div STYLE="color: red"></div>`).props.style).toEqual({ color: "red" });
  });
});

describe("parseMarkup: the root", () => {
  it("returns a single top-level element itself, ignoring whitespace around it", () => {
    expect(parse("\n  <span>a</span>\n")).toEqual({ type: "span", props: { children: ["a"] } });
  });

  it("wraps several top-level elements in a full-size flex column, in order", () => {
    expect(parse("<span>a</span><b>b</b>")).toEqual({
      type: "div",
      props: {
        style: FULL_SIZE_COLUMN,
        children: [
          { type: "span", props: { children: ["a"] } },
          { type: "b", props: { children: ["b"] } },
        ],
      },
    });
  });

  it("wraps bare text in a full-size flex column", () => {
    expect(parse("hello &amp; bye")).toEqual({ type: "div", props: { style: FULL_SIZE_COLUMN, children: ["hello & bye"] } });
  });

  it("wraps an element followed by text", () => {
    expect(parse("<br>tail")).toEqual({ type: "div", props: { style: FULL_SIZE_COLUMN, children: [{ type: "br", props: {} }, "tail"] } });
  });

  it("returns an empty full-size column for empty or whitespace-only markup", () => {
    expect(parse("")).toEqual({ type: "div", props: { style: FULL_SIZE_COLUMN, children: [] } });
    expect(parse(" \n\t<!-- only a comment --> ")).toEqual({ type: "div", props: { style: FULL_SIZE_COLUMN, children: [] } });
  });

  it("drops whitespace-only text between elements but keeps other text verbatim", () => {
    expect(parse("<div>\n  <span> a  b </span>\n  <span>c</span>\n</div>").props.children).toEqual([
      { type: "span", props: { children: [" a  b "] } },
      { type: "span", props: { children: ["c"] } },
    ]);
  });

  it("keeps an &nbsp; entity as text", () => {
    expect(parse("<span>&nbsp;</span>").props.children).toEqual(["\u00a0"]);
  });
});

describe("parseMarkup: limits", () => {
  const many = (count: number) => "<span></span>".repeat(count);

  it("accepts exactly maxHtmlNodes elements", () => {
    const tree = parse(`<div>${many(9)}</div>`, { maxHtmlNodes: 10, maxHtmlDepth: 32 });
    expect(tree.props.children).toHaveLength(9);
  });

  it("rejects one element more than maxHtmlNodes with markup_too_large", () => {
    expectRejected(`<div>${many(10)}</div>`, "markup_too_large", { maxHtmlNodes: 10, maxHtmlDepth: 32 });
  });

  it("counts void and self-closed elements", () => {
    const limits = { maxHtmlNodes: 3, maxHtmlDepth: 32 };
    expect(() => parse("<br><hr/><rect/>", limits)).not.toThrow();
    expectRejected("<br><hr/><rect/><br>", "markup_too_large", limits);
  });

  it("counts neither text, comments nor end tags", () => {
    const limits = { maxHtmlNodes: 1, maxHtmlDepth: 32 };
    expect(parse(`<div>${"word ".repeat(500)}<!-- ${"c".repeat(100)} --></div>`, limits).type).toBe("div");
  });

  it("accepts nesting exactly maxHtmlDepth elements deep", () => {
    const tree = parse("<div><div><div>x</div></div></div>", { maxHtmlNodes: 1000, maxHtmlDepth: 3 });
    let depth = 0;
    for (let node: MarkupNode | string | undefined = tree; typeof node === "object"; node = node.props.children?.[0]) depth++;
    expect(depth).toBe(3);
  });

  it("rejects nesting one element deeper than maxHtmlDepth with markup_too_deep", () => {
    expectRejected("<div><div><div><div>x</div></div></div></div>", "markup_too_deep", { maxHtmlNodes: 1000, maxHtmlDepth: 3 });
  });

  it("does not count siblings, or void and self-closed elements before them, as depth", () => {
    const limits = { maxHtmlNodes: 1000, maxHtmlDepth: 2 };
    expect(() => parse("<div><br><hr><rect/><span>a</span><span>b</span></div><div><span></span></div>", limits)).not.toThrow();
  });

  it("reports an over-deep document as too deep, not as unclosed, before reading all of it", () => {
    expectRejected("<div>".repeat(2000), "markup_too_deep");
  });
});

describe("parseMarkup: pathological input", () => {
  const timed = (markup: string) => {
    const started = performance.now();
    const error = thrownBy(() => parse(markup));
    return { error, elapsed: performance.now() - started };
  };

  it.each([
    ["64 KiB of <", "<".repeat(64 * 1024)],
    ["<div  repeated without >", "<div ".repeat((64 * 1024) / 5)],
    ["an unterminated quoted attribute value", `<div title="${"x".repeat(64 * 1024)}`],
    ["alternating quotes in an unterminated tag", `<div ${`"'`.repeat(32 * 1024)}`],
    ["repeated unterminated comments", "<!--".repeat(16 * 1024)],
    ["deep nesting", "<div>".repeat((64 * 1024) / 5)],
  ])("fails fast on %s", (_what, markup) => {
    const { error, elapsed } = timed(markup);
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).code).toMatch(/^markup_(syntax|too_deep)$/);
    expect(elapsed).toBeLessThan(2000);
  });

  it("names markup_syntax for 64 KiB of < and for an unclosed <div  run", () => {
    expect(timed("<".repeat(64 * 1024)).error).toMatchObject({ status: 400, code: "markup_syntax" });
    expect(timed("<div ".repeat((64 * 1024) / 5)).error).toMatchObject({ status: 400, code: "markup_syntax" });
  });

  // Before the linear scan, 16,000 "url(" without ")" took ~0.4 s: the old /url\s*\(\s*([^)]*)\)/g was quadratic.
  it.each([
    ["a style of 16,000 url( without )", `<div style="${"url(".repeat(16_000)}"></div>`],
    ["a fill of 16,000 url( without )", `<svg><rect fill="${"url(".repeat(16_000)}"/></svg>`],
    ["a style of 16,000 url( after a property", `<div style="background-image: ${"url(".repeat(16_000)}"></div>`],
    ["a style of 13,000 url(' without a closing quote", `<div style="x: ${"url('".repeat(13_000)}"></div>`],
    ["a fill of 13,000 url(# without )", `<rect fill="${"url(#".repeat(13_000)}"/>`],
    ["a style of url( and 60 KiB of spaces", `<div style="a: url(${" ".repeat(60 * 1024)}"></div>`],
    ["a style of 60 KiB of letters before url(", `<div style="a: ${"x".repeat(60 * 1024)}url("></div>`],
    ["a fill of url(#a) repeated, then an external one", `<rect fill="${"url(#a) ".repeat(8_000)}url(http://ev.il/x)"/>`],
    ["a style of declarations with url(#a), then an external one", `<div style="${"a:url(#a);".repeat(6_000)}b:url(//ev.il)"></div>`],
  ])("rejects %s in linear time with external_reference", (_what, markup) => {
    const { error, elapsed } = timed(markup);
    expect(error).toBeInstanceOf(AppError);
    expect(error).toMatchObject({ status: 400, code: "external_reference" });
    expect(elapsed).toBeLessThan(1000);
  });

  it("accepts 60 KiB of legitimate url(#a) and function calls in linear time", () => {
    const started = performance.now();
    const tree = parse(`<rect fill="${"url(#a) ".repeat(4_000)}" transform="${"rotate(1) ".repeat(3_000)}"/>`);
    expect(performance.now() - started).toBeLessThan(1000);
    expect(tree.type).toBe("rect");
  });
});
