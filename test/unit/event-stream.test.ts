/** The text/event-stream format of GET /events, frame tags and Last-Event-ID, and event streams over the in-memory ports. */
import { transform } from "esbuild";
import { describe, expect, it } from "vitest";
import { createApp } from "../../handlers/app.js";
import { StreamAdmission } from "../../handlers/http/admission.js";
import { EMBED_ELEMENT_SOURCE } from "../../handlers/http/embed-element.js";
import { DEFAULT_LIMITS } from "../../handlers/options.js";
import type { Part } from "../../handlers/streaming/channel.js";
import {
  alreadySeen,
  dataLines,
  endEvent,
  formatCursor,
  frameEvent,
  frameTag,
  parseFrameTag,
  parseLastEventId,
} from "../../handlers/streaming/event-stream.js";
import { memoryPorts } from "../../runtime/stores/memory.js";
import { readEvents } from "../support/events.js";

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
const part = (incarnation: number, version: number, svg: string): Part => ({ id: { incarnation, version }, svg, bytes: new Uint8Array() });

describe("frame tags", () => {
  it("write the incarnation in base 36 and the version, as ETags do, and read back", () => {
    const id = { incarnation: 1_764_590_000_000_123, version: 42 };
    expect(frameTag(id)).toBe(`${id.incarnation.toString(36)}-42`);
    expect(parseFrameTag(frameTag(id))).toEqual(id);
  });

  it.each(["", "abc", "-1", "x-", "ab-1-2", "AB-1", "a b-1", "zzzzzzzzzzzzzzzz-1", "1-99999999999999999"])("refuse %j", (raw) => {
    expect(parseFrameTag(raw)).toBeNull();
  });
});

describe("Last-Event-ID", () => {
  it("names the one session's frame in the single form", () => {
    expect(parseLastEventId("abc-3", "single", "s")).toEqual(new Map([["s", { incarnation: parseInt("abc", 36), version: 3 }]]));
    expect(parseLastEventId("nonsense", "single", "s").size).toBe(0);
    expect(parseLastEventId(null, "single", "s").size).toBe(0);
  });

  it("is the multi form's cursor, every session with its tag; bad entries are skipped", () => {
    const sent = new Map([
      ["a", { incarnation: 100, version: 1 }],
      ["b.c-d_e", { incarnation: 200, version: 7 }],
    ]);
    const cursor = formatCursor(sent);
    expect(cursor).toBe("a:2s-1,b.c-d_e:5k-7");
    expect(parseLastEventId(cursor, "multi")).toEqual(sent);
    expect(parseLastEventId(`${cursor},:1-1,bad id:1-1,c:nope,x`, "multi")).toEqual(sent);
  });

  it("spares a frame only when it is exactly the one the client has", () => {
    const frame = part(100, 5, "<svg/>");
    expect(alreadySeen({ incarnation: 100, version: 5 }, frame)).toBe(true);
    expect(alreadySeen({ incarnation: 100, version: 4 }, frame)).toBe(false);
    // a client claiming a newer frame than the server holds (a store restored from an older copy) gets it
    expect(alreadySeen({ incarnation: 100, version: 6 }, frame)).toBe(false);
    expect(alreadySeen(undefined, frame)).toBe(false);
  });
});

describe("events", () => {
  it("carry a multi-line SVG as one data line per line, whatever its line ends", () => {
    expect(dataLines("<svg>\r\n<a/>\r<b/>\n</svg>")).toBe("data: <svg>\ndata: <a/>\ndata: <b/>\ndata: </svg>\n");
    expect(dataLines(" lead")).toBe("data:  lead\n");
  });

  it("single form: event frame, the tag as id, the SVG as data; encoded once per part", () => {
    const frame = part(36, 2, "<svg>\n1</svg>");
    const bytes = frameEvent("single", "s", frame, () => "unused");
    expect(text(bytes)).toBe("event: frame\nid: 10-2\ndata: <svg>\ndata: 1</svg>\n\n");
    expect(frameEvent("single", "s", frame, () => "unused")).toBe(bytes);
  });

  it("multi form: the connection's cursor as id, one JSON data line naming the session", () => {
    const frame = part(36, 2, '<svg a="1">\n</svg>');
    expect(text(frameEvent("multi", "s", frame, () => "s:10-2,t:10-1"))).toBe(
      `event: frame\nid: s:10-2,t:10-1\ndata: ${JSON.stringify({ session: "s", frame: "10-2", svg: '<svg a="1">\n</svg>' })}\n\n`,
    );
    expect(text(endEvent("s", "ended"))).toBe('event: end\ndata: {"session":"s","reason":"ended"}\n\n');
  });
});

describe("stream admission", () => {
  it("counts each session of an event stream, against both caps", () => {
    const admission = new StreamAdmission({ maxStreams: 10, maxStreamsPerClient: 4 }, undefined);
    const request = new Request("http://x/events?ids=a,b,c");
    expect(admission.admit(request, 0, { clientAddress: "peer" }, 3)).toBe("peer");
    expect(() => admission.admit(request, 3, { clientAddress: "peer" }, 2)).toThrow(/this client holds its maximum of 4/);
    expect(() => admission.admit(request, 8, { clientAddress: "other" }, 3)).toThrow(/maximum of 10 streams/);
    admission.release("peer", 3);
    expect(admission.heldBy("peer")).toBe(0);
  });

  it("refuses every stream with 503 draining and Retry-After once draining", () => {
    const admission = new StreamAdmission({ maxStreams: 10, maxStreamsPerClient: 0 }, undefined);
    admission.drain();
    let refusal: unknown;
    try {
      admission.admit(new Request("http://x/stream/a"), 0, undefined);
    } catch (error) {
      refusal = error;
    }
    expect(refusal).toMatchObject({ code: "draining", status: 503, headers: { "Retry-After": "1" } });
  });
});

describe("event streams over the in-memory ports", () => {
  async function setup() {
    const app = createApp(memoryPorts(), { limits: { keepAliveMs: 60_000 } });
    const tokens = new Map<string, string>();
    const create = async (id: string, n = 1) => {
      const response = await app.fetch(
        new Request("http://x/api/session", {
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify({ session_id: id, template: "<svg>{{ n }}</svg>", args: { n } }),
        }),
      );
      expect(response.status).toBe(201);
      tokens.set(id, ((await response.json()) as { write_token: string }).write_token);
    };
    const write = async (id: string, n: number) => {
      const response = await app.fetch(
        new Request(`http://x/api/session/${id}`, {
          method: "PATCH",
          headers: { "Content-Type": "application/json", Authorization: `Bearer ${tokens.get(id)}` },
          body: JSON.stringify({ args: { n } }),
        }),
      );
      expect(response.status).toBe(200);
    };
    return { app, create, write };
  }

  it("keeps only the newest unsent frame of each session while the client does not read", async () => {
    const { app, create, write } = await setup();
    await create("slow");
    const response = await app.fetch(new Request("http://x/events/slow"));
    for (let n = 2; n <= 30; n++) await write("slow", n);
    await new Promise((resolve) => setTimeout(resolve, 20));
    const events = readEvents(response);
    await events.until(() => events.events.some((event) => event.data === "<svg>30</svg>"), 2_000, "the newest frame");
    // the first frame filled the one-chunk outlet; of the frames after it only the newest waited
    expect(events.events.map((event) => event.data)).toEqual(["<svg>1</svg>", "<svg>30</svg>"]);
    events.close();
  });

  it("a drain ends event streams at once with a short retry and no end event, and keeps image streams", async () => {
    const { app, create } = await setup();
    await create("d");
    const events = await open(app, "/events/d");
    await events.next();
    const image = await app.fetch(new Request("http://x/stream/d"));
    expect(image.status).toBe(200);
    expect(app.drain()).toEqual({ streams: 1, eventStreams: 1 });
    await events.ended(1_000);
    expect(events.events.map((event) => event.event)).toEqual(["frame"]);
    expect(events.retries.at(-1)).toBeLessThan(1_000);
    expect(app.hub.viewerCount).toBe(1);
    const refused = await app.fetch(new Request("http://x/events/d"));
    expect(refused.status).toBe(503);
    expect(refused.headers.get("retry-after")).toBe("1");
    expect(await refused.json()).toMatchObject({ code: "draining" });
    expect((await app.fetch(new Request("http://x/stream/d"))).status).toBe(503);
    app.shutdown();
    expect(app.hub.viewerCount).toBe(0);
    await image.body?.cancel();
  });

  it("leaves every channel when the client goes, and frees its streams", async () => {
    const { app, create } = await setup();
    await create("a");
    await create("b");
    const events = await open(app, "/events?ids=a,b");
    await events.until(() => events.events.length === 2);
    expect(app.hub.viewerCount).toBe(2);
    events.close();
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(app.hub.viewerCount).toBe(0);
    expect(app.hub.channelCount).toBe(0);
  });

  async function open(app: ReturnType<typeof createApp>, path: string) {
    const response = await app.fetch(new Request(`http://x${path}`));
    expect(response.status).toBe(200);
    return readEvents(response);
  }
});

describe("the <realtime-svg> element (/embed.js)", () => {
  it("is a module that parses, a few KB, with no dependency and no way to put a frame's markup into the page", async () => {
    await transform(EMBED_ELEMENT_SOURCE, { format: "esm", loader: "js", target: "es2022" });
    expect(new TextEncoder().encode(EMBED_ELEMENT_SOURCE).byteLength).toBeLessThan(8 * 1024);
    expect(EMBED_ELEMENT_SOURCE).not.toMatch(/\bimport\s*[({"'\w]|innerHTML|outerHTML|insertAdjacentHTML|DOMParser|document\.write|createContextualFragment/);
    expect(EMBED_ELEMENT_SOURCE).toContain('new Blob([svg], { type: "image/svg+xml" })');
    expect(EMBED_ELEMENT_SOURCE).toContain("URL.revokeObjectURL(previous)");
  });

  it("defaults the event streams' size to MAX_EVENT_IDS' default", () => {
    expect(EMBED_ELEMENT_SOURCE).toContain(`const MAX_IDS = ${DEFAULT_LIMITS.maxEventIds};`);
  });
});
