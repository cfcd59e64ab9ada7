import { describe, expect, it } from "vitest";
import { newBoundary, PartEncoder, PREAMBLE } from "../../handlers/streaming/multipart.js";

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

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
    expect(text(encoder.frame("<svg/>"))).toBe("<svg/>\r\n--B\r\nContent-Type: image/svg+xml\r\n\r\n");
  });

  it("ends with the last frame and the close delimiter", () => {
    expect(text(new PartEncoder("B").last("<svg/>"))).toBe("<svg/>\r\n--B--\r\n");
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
