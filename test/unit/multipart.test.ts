import { afterEach, describe, expect, it, vi } from "vitest";
import { newBoundary, PartEncoder, PREAMBLE, streamContentType } from "../../handlers/streaming/multipart.js";

const text = (bytes: Uint8Array) => new TextDecoder("utf-8", { fatal: true }).decode(bytes);
const utf8 = (value: string) => new TextEncoder().encode(value);

function concat(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((sum, chunk) => sum + chunk.length, 0));
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}

/** RFC 2046 §5.1.1: boundary := 0*69<bchars> bcharsnospace. */
const RFC2046_BOUNDARY = /^[0-9A-Za-z'()+_,\-./:=? ]{0,69}[0-9A-Za-z'()+_,\-./:=?]$/;
/** RFC 9110 token: what a Content-Type parameter value may be without quotes. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

interface Part {
  headers: Record<string, string>;
  body: string;
}

/**
 * A small multipart reader written from RFC 2046, independent of the encoder: the body is split at
 * every delimiter (CRLF "--" boundary); text before the first is the preamble, each part is header
 * lines, an empty line, then the body; "--" after a delimiter closes the stream. A part whose
 * delimiter has not arrived yet is reported as `open`.
 */
function readMultipart(stream: Uint8Array, boundary: string): { preamble: string; parts: Part[]; open?: Part; closed: boolean; epilogue: string } {
  const body = text(stream);
  const delimiter = `\r\n--${boundary}`;
  // The preamble is optional; when present it ends with the CRLF that begins the first delimiter.
  const normalized = body.startsWith(`--${boundary}`) ? `\r\n${body}` : body;
  const [preamble, ...rest] = normalized.split(delimiter);
  const parts: Part[] = [];
  let closed = false;
  let epilogue = "";
  const readPart = (section: string): Part => {
    if (!section.startsWith("\r\n")) throw new Error(`delimiter not followed by CRLF: ${JSON.stringify(section.slice(0, 20))}`);
    const end = section.indexOf("\r\n\r\n");
    if (end < 0) throw new Error("part headers are not terminated");
    const headers: Record<string, string> = {};
    for (const line of section.slice(2, end).split("\r\n").filter(Boolean)) {
      const colon = line.indexOf(":");
      headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    return { headers, body: section.slice(end + 4) };
  };
  for (let i = 0; i < rest.length; i++) {
    const section = rest[i]!;
    if (section.startsWith("--")) {
      closed = true;
      epilogue = section.slice(2);
      if (i !== rest.length - 1) throw new Error("data after the close delimiter");
      break;
    }
    const part = readPart(section);
    // Every part but the last is complete; the last is complete only if a close delimiter follows.
    if (i < rest.length - 1) parts.push(part);
    else return { preamble: preamble!, parts, open: part, closed, epilogue };
  }
  return { preamble: preamble!, parts, closed, epilogue };
}

describe("multipart encoding", () => {
  it("starts every stream with at least 1 KiB of preamble before the first boundary", () => {
    const encoder = new PartEncoder("B");
    const head = text(encoder.head);
    expect(PREAMBLE.length).toBeGreaterThanOrEqual(1024);
    expect(head.indexOf("--B")).toBeGreaterThanOrEqual(1024);
    expect(head.endsWith("\r\n--B\r\nContent-Type: image/svg+xml\r\n\r\n")).toBe(true);
    expect(head.slice(0, head.indexOf("\r\n"))).toMatch(/^ +$/);
  });

  it("follows each frame with the next part's boundary and headers", () => {
    const encoder = new PartEncoder("B");
    expect(text(encoder.part("<svg/>"))).toBe("<svg/>\r\n--B\r\nContent-Type: image/svg+xml\r\n\r\n");
  });

  it("ends with the last frame and the close delimiter", () => {
    expect(text(new PartEncoder("B").lastPart("<svg/>"))).toBe("<svg/>\r\n--B--\r\n");
  });

  it("names the boundary in the content type", () => {
    expect(new PartEncoder("xyz").contentType).toBe("multipart/x-mixed-replace; boundary=xyz");
  });

  it("draws a fresh random boundary of safe characters each time", () => {
    const a = newBoundary();
    const b = newBoundary();
    expect(a).not.toBe(b);
    expect(a).toMatch(/^[a-z0-9]{20,70}$/);
  });
});

describe("the preamble and head", () => {
  it("is only spaces, at least 1024 of them, then one CRLF", () => {
    expect(PREAMBLE).toMatch(/^ {1024,}\r\n$/);
  });

  it("writes exactly the preamble, the first delimiter and the first part's headers", () => {
    expect(text(new PartEncoder("B").head)).toBe(`${PREAMBLE}--B\r\nContent-Type: image/svg+xml\r\n\r\n`);
  });

  it("puts at least 1024 bytes before the first delimiter", () => {
    const encoder = new PartEncoder("B");
    const firstDelimiter = text(encoder.head).indexOf("--B");
    // All ASCII, so character offsets are byte offsets.
    expect(encoder.head.length).toBe(text(encoder.head).length);
    expect(firstDelimiter).toBeGreaterThanOrEqual(1024);
  });

  it("is the same bytes for every encoder of the same boundary", () => {
    expect(new PartEncoder("same").head).toEqual(new PartEncoder("same").head);
  });
});

describe("parts", () => {
  it("appends the delimiter and the next part's headers to the frame", () => {
    expect(text(new PartEncoder("b0undary").part("<svg>1</svg>"))).toBe(
      "<svg>1</svg>\r\n--b0undary\r\nContent-Type: image/svg+xml\r\n\r\n",
    );
  });

  it("closes with the final frame and the close delimiter, and nothing after it", () => {
    expect(text(new PartEncoder("b0undary").lastPart("<svg>9</svg>"))).toBe("<svg>9</svg>\r\n--b0undary--\r\n");
  });

  it("encodes an empty frame as just the delimiter", () => {
    expect(text(new PartEncoder("B").part(""))).toBe("\r\n--B\r\nContent-Type: image/svg+xml\r\n\r\n");
    expect(text(new PartEncoder("B").lastPart(""))).toBe("\r\n--B--\r\n");
  });

  it("encodes non-ASCII SVG as UTF-8", () => {
    const svg = "<svg><text>café 한국어 \u{1F680}</text></svg>";
    const encoder = new PartEncoder("B");
    const next = "\r\n--B\r\nContent-Type: image/svg+xml\r\n\r\n";
    const bytes = encoder.part(svg);
    expect(bytes).toEqual(utf8(svg + next));
    // UTF-16 units → UTF-8 bytes: é 1 → 2, each Hangul syllable 1 → 3, the rocket 2 → 4.
    expect(bytes.length).toBe(svg.length + 1 + 3 * 2 + 2 + next.length);
    expect(encoder.lastPart(svg)).toEqual(utf8(`${svg}\r\n--B--\r\n`));
  });

  it("returns bytes, not a shared buffer that a later part overwrites", () => {
    const encoder = new PartEncoder("B");
    const first = encoder.part("<svg>1</svg>");
    const copy = first.slice();
    encoder.part("<svg>2</svg>");
    encoder.lastPart("<svg>3</svg>");
    expect(first).toEqual(copy);
  });
});

describe("boundaries", () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it("are valid RFC 2046 boundaries that need no quoting in the Content-Type", () => {
    for (let i = 0; i < 200; i++) {
      const boundary = newBoundary();
      expect(boundary).toMatch(RFC2046_BOUNDARY);
      expect(boundary).toMatch(TOKEN);
      expect(boundary.length).toBeGreaterThanOrEqual(1);
      expect(boundary.length).toBeLessThanOrEqual(70);
      expect(boundary.endsWith(" ")).toBe(false);
    }
  });

  it("carry 128 bits drawn from crypto.getRandomValues", () => {
    const spy = vi.spyOn(crypto, "getRandomValues").mockImplementation((array) => {
      const bytes = array as unknown as Uint8Array;
      for (let i = 0; i < bytes.length; i++) bytes[i] = i * 17;
      return array;
    });
    expect(newBoundary()).toBe("rsvg00112233445566778899aabbccddeeff");
    expect(spy).toHaveBeenCalledTimes(1);
    expect((spy.mock.calls[0]![0] as Uint8Array).length).toBe(16);
  });

  it("are distinct across many calls", () => {
    const boundaries = new Set(Array.from({ length: 5000 }, () => newBoundary()));
    expect(boundaries.size).toBe(5000);
  });

  it("vary in every one of their 32 random hex digits", () => {
    const boundaries = Array.from({ length: 500 }, () => newBoundary());
    for (const boundary of boundaries) expect(boundary).toMatch(/^rsvg[0-9a-f]{32}$/);
    for (let digit = 4; digit < 36; digit++) {
      expect(new Set(boundaries.map((boundary) => boundary[digit])).size, `digit ${digit}`).toBeGreaterThan(1);
    }
  });

  it("are drawn fresh for every encoder made without one", () => {
    const a = new PartEncoder();
    const b = new PartEncoder();
    expect(a.boundary).toMatch(/^rsvg[0-9a-f]{32}$/);
    expect(a.boundary).not.toBe(b.boundary);
    expect(a.contentType).toBe(`multipart/x-mixed-replace; boundary=${a.boundary}`);
    expect(text(a.head)).toContain(`\r\n--${a.boundary}\r\n`);
  });

  it("are named unquoted in the stream's content type", () => {
    expect(streamContentType("rsvg0123")).toBe("multipart/x-mixed-replace; boundary=rsvg0123");
  });
});

describe("a whole stream read back by an independent multipart parser", () => {
  const frames = [
    `<svg xmlns="http://www.w3.org/2000/svg"><text>1</text></svg>`,
    "<svg>\r\n<!-- CRLF, -- and a fake --rsvg delimiter -->\r\n--rsvg\r\n</svg>",
    "<svg><text>café 한국어 \u{1F680}</text></svg>",
    "",
    "<svg>last</svg>",
  ];

  it("yields the preamble, then every frame exactly, each as image/svg+xml, then closes", () => {
    const encoder = new PartEncoder();
    const stream = concat([encoder.head, ...frames.slice(0, -1).map((svg) => encoder.part(svg)), encoder.lastPart(frames.at(-1)!)]);
    const read = readMultipart(stream, encoder.boundary);
    expect(read.preamble).toBe(PREAMBLE.slice(0, -2));
    expect(read.parts.map((part) => part.body)).toEqual(frames);
    for (const part of read.parts) expect(part.headers).toEqual({ "content-type": "image/svg+xml" });
    expect(read.open).toBeUndefined();
    expect(read.closed).toBe(true);
    expect(read.epilogue).toBe("\r\n");
  });

  it("completes each frame as soon as it is written, with the next part already announced", () => {
    const encoder = new PartEncoder();
    const stream = concat([encoder.head, encoder.part("<svg>a</svg>"), encoder.part("<svg>b</svg>")]);
    const read = readMultipart(stream, encoder.boundary);
    expect(read.parts.map((part) => part.body)).toEqual(["<svg>a</svg>", "<svg>b</svg>"]);
    expect(read.open).toEqual({ headers: { "content-type": "image/svg+xml" }, body: "" });
    expect(read.closed).toBe(false);
  });

  it("round-trips a stream that closes right after the head", () => {
    const encoder = new PartEncoder("B");
    const read = readMultipart(concat([encoder.head, encoder.lastPart("<svg/>")]), "B");
    expect(read.parts).toEqual([{ headers: { "content-type": "image/svg+xml" }, body: "<svg/>" }]);
    expect(read.closed).toBe(true);
  });

  it("keeps the bytes of every frame intact", () => {
    const encoder = new PartEncoder();
    const stream = concat([encoder.head, encoder.part(frames[2]!), encoder.lastPart(frames[1]!)]);
    const read = readMultipart(stream, encoder.boundary);
    expect(read.parts.map((part) => utf8(part.body))).toEqual([utf8(frames[2]!), utf8(frames[1]!)]);
  });
});
