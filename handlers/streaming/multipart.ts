/**
 * The multipart/x-mixed-replace wire format browsers need (ARCHITECTURE.md, "Wire format"):
 * every frame is followed at once by the boundary and the next part's headers, because Chromium
 * only shows a part when the next one's headers arrive; the first write carries >= 1 KiB of
 * preamble, because Chromium holds a cross-origin image until it has 1024 bytes to sniff.
 */
const encoder = new TextEncoder();

/** Spaces then CRLF before the first boundary: ignored by multipart parsers, sniffable bytes. */
export const PREAMBLE = `${" ".repeat(1100)}\r\n`;
const PART_HEADERS = "Content-Type: image/svg+xml\r\n\r\n";

/** 128 random bits: a boundary no template author can predict, so no frame can contain it. */
export function newBoundary(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return `rsvg${Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("")}`;
}

export function streamContentType(boundary: string): string {
  return `multipart/x-mixed-replace; boundary=${boundary}`;
}

/** Encodes the byte sequences of one stream format; one encoder serves every viewer of a channel. */
export class PartEncoder {
  readonly contentType: string;
  /** Written once per stream, before the first frame. */
  readonly head: Uint8Array;
  private readonly next: string;
  private readonly close: string;

  constructor(readonly boundary: string = newBoundary()) {
    this.contentType = streamContentType(boundary);
    this.head = encoder.encode(`${PREAMBLE}--${boundary}\r\n${PART_HEADERS}`);
    this.next = `\r\n--${boundary}\r\n${PART_HEADERS}`;
    this.close = `\r\n--${boundary}--\r\n`;
  }

  /** A part: the frame followed by the next part's boundary and headers. */
  part(svg: string): Uint8Array {
    return encoder.encode(svg + this.next);
  }

  /** The last part: the final frame again, then the close delimiter, so the image keeps it. */
  lastPart(svg: string): Uint8Array {
    return encoder.encode(svg + this.close);
  }
}
