import { describe, expect, it } from "vitest";
import { acceptQuality, prefersImageOverJson } from "../../handlers/http/accept.js";
import { wantsImage } from "../../handlers/http/placeholder.js";

/** What browsers send for an `<img>` (their documentation and DevTools), and what API clients send. */
const CHROMIUM_IMG = "image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8";
const CHROMIUM_156_IMG = "image/jxl,image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8";
const FIREFOX_IMG = "image/avif,image/webp,*/*";
const SAFARI_IMG = "image/webp,image/avif,image/jxl,image/heic,image/heic-sequence,video/*;q=0.8,image/png,image/svg+xml,image/*;q=0.8,*/*;q=0.5";

describe("acceptQuality", () => {
  it.each([
    [null, 1],
    ["", 1],
    ["*/*", 1],
    ["image/svg+xml", 1],
    ["image/*;q=0.5", 0.5],
    ["image/*;q=0.5, image/svg+xml;q=0.2", 0.2], // the most specific range decides, even when lower
    ["*/*;q=0.9, image/*;q=0.3", 0.3],
    ["text/html", 0],
    ["image/png", 0],
    ["IMAGE/SVG+XML", 1], // media types are case-insensitive
    ["image/svg+xml ; q=0.7", 0.7],
    ["image/svg+xml;q=0", 0], // explicitly not acceptable
    ["image/svg+xml;q=1.000", 1],
    ["image/svg+xml;charset=utf-8", 0], // names a more specific type than ours
    ["image/svg+xml;charset=utf-8, image/*;q=0.4", 0.4],
    ["image/svg+xml;q=2, image/*;q=0.4", 0.4], // an invalid weight drops its element
    ["image/svg+xml;q=0.1234", 0],
    ["image/svg+xml;q=abc", 0],
    ["image/svg+xml;q", 0],
    ["*/svg+xml", 0], // not a media range
    ["garbage, image/*;q=0.6", 0.6],
    ["image/svg+xml;q=0.3, image/svg+xml;q=0.6", 0.6],
  ])("%j gives image/svg+xml %d", (accept, q) => {
    expect(acceptQuality(accept, "image/svg+xml")).toBe(q);
  });

  it("reads the weight, not what follows it", () => {
    expect(acceptQuality("image/svg+xml;q=0.5;level=1", "image/svg+xml")).toBe(0.5);
  });
});

describe("an image request", () => {
  it.each([
    ["Chromium's <img>", CHROMIUM_IMG, true],
    ["Chromium 156's <img> (seen by test/browser/placeholder.browser.test.ts)", CHROMIUM_156_IMG, true],
    ["Safari's <img>", SAFARI_IMG, true],
    ["image/*", "image/*", true],
    ["images first, JSON lower", "image/svg+xml, application/json;q=0.9", true],
    // Firefox ranks every type 1 through */*: a tie, so only its Sec-Fetch-Dest tells (below).
    ["Firefox's <img>", FIREFOX_IMG, false],
    ["curl's default", "*/*", false],
    ["no Accept", null, false],
    ["JSON", "application/json", false],
    ["JSON and images alike", "application/json, image/*", false],
    ["JSON first", "application/json, image/*;q=0.5", false],
    ["a browser page", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", false],
  ])("%s (%j): prefers images over JSON is %s", (_what, accept, expected) => {
    expect(prefersImageOverJson(accept)).toBe(expected);
  });

  it("is any request whose Sec-Fetch-Dest is image, whatever its Accept", () => {
    const request = (headers: Record<string, string>) => new Request("http://x.test/svg/a", { headers });
    expect(wantsImage(request({ "Sec-Fetch-Dest": "image", Accept: FIREFOX_IMG }))).toBe(true);
    expect(wantsImage(request({ "Sec-Fetch-Dest": "image", Accept: "application/json" }))).toBe(true);
    expect(wantsImage(request({ "Sec-Fetch-Dest": "empty", Accept: "*/*" }))).toBe(false);
    expect(wantsImage(request({ Accept: CHROMIUM_IMG }))).toBe(true);
    expect(wantsImage(request({}))).toBe(false);
  });
});
