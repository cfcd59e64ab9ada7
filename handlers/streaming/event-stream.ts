import { concat } from "../bytes.js";
import { compareFrameIds, type FrameId } from "../sessions/record.js";
import { isSessionId } from "../sessions/ids.js";
import type { Part } from "./channel.js";

/**
 * The text/event-stream wire format of GET /events (README "GET /events/ID"), for pages that may
 * run script: unlike an <img>, an EventSource reconnects by itself. There is no frame history:
 * each event carries a whole frame, and `Last-Event-ID` only spares a client the frame it already
 * has. Two forms:
 *
 * - one session (`/events/ID`): `event: frame`, `id:` the frame's tag, the SVG as data lines;
 * - several (`/events?ids=a,b`): `event: frame`, data one line of JSON naming the session, and
 *   `id:` the connection's cursor, every session's tag (`a:TAG,b:TAG`), since a client reports
 *   only the last id it saw.
 *
 * `event: end` (data `{"session","reason"}`) says a session is gone; a connection ended without
 * it (a draining server) is one to reconnect.
 */
const encoder = new TextEncoder();

export const EVENT_STREAM_TYPE = "text/event-stream; charset=utf-8";

export type EventForm = "single" | "multi";

/** Why a session's events stopped: deleted or expired, or not there when the stream opened. */
export type EndReason = "ended" | "not_found";

/** A frame's identity as text, as in ETags (snapshots.ts): the incarnation in base 36, the version. */
export function frameTag(id: FrameId): string {
  return `${id.incarnation.toString(36)}-${id.version}`;
}

const TAG = /^([0-9a-z]{1,16})-(\d{1,16})$/;

/** The inverse of frameTag; null for anything else. */
export function parseFrameTag(text: string): FrameId | null {
  const match = TAG.exec(text);
  if (!match) return null;
  const incarnation = parseInt(match[1]!, 36);
  const version = Number(match[2]);
  if (!Number.isSafeInteger(incarnation) || !Number.isSafeInteger(version)) return null;
  return { incarnation, version };
}

/** The multi-session form's event id: each session with the tag of the frame last sent for it. */
export function formatCursor(sent: ReadonlyMap<string, FrameId>): string {
  return [...sent].map(([session, id]) => `${session}:${frameTag(id)}`).join(",");
}

/**
 * What a reconnecting client already shows, from its Last-Event-ID. Entries that do not parse
 * are skipped: the client then gets that session's frame again, which is always safe.
 */
export function parseLastEventId(header: string | null, form: EventForm, single?: string): Map<string, FrameId> {
  const seen = new Map<string, FrameId>();
  if (!header) return seen;
  if (form === "single") {
    const id = parseFrameTag(header.trim());
    if (id && single !== undefined) seen.set(single, id);
    return seen;
  }
  for (const entry of header.split(",")) {
    const colon = entry.indexOf(":");
    const session = entry.slice(0, colon).trim();
    const id = parseFrameTag(entry.slice(colon + 1).trim());
    if (colon > 0 && isSessionId(session) && id) seen.set(session, id);
  }
  return seen;
}

/**
 * true when the client already shows exactly this frame. Only equality counts: an id that claims
 * a newer frame than the server holds (a store restored from an older copy) gets the frame.
 */
export function alreadySeen(seen: FrameId | undefined, part: Part): boolean {
  return seen !== undefined && compareFrameIds(part.id, seen) === 0;
}

/**
 * Every line of `text` as a data field. SSE ends a line at CRLF, LF or CR and the client joins the
 * data lines with LF, so an SVG arrives with LF line ends, which XML treats as the same.
 */
export function dataLines(text: string): string {
  return `data: ${text.split(/\r\n|\r|\n/).join("\ndata: ")}\n`;
}

/** The single form's whole event per part, and the multi form's data field: encoded once per part, shared by every client. */
const singleEvents = new WeakMap<Part, Uint8Array>();
const multiData = new WeakMap<Part, Uint8Array>();

export function frameEvent(form: EventForm, session: string, part: Part, cursor: () => string): Uint8Array {
  if (form === "single") {
    let bytes = singleEvents.get(part);
    if (!bytes) {
      bytes = encoder.encode(`event: frame\nid: ${frameTag(part.id)}\n${dataLines(part.svg)}\n`);
      singleEvents.set(part, bytes);
    }
    return bytes;
  }
  let data = multiData.get(part);
  if (!data) {
    data = encoder.encode(`data: ${JSON.stringify({ session, frame: frameTag(part.id), svg: part.svg })}\n\n`);
    multiData.set(part, data);
  }
  return concat([encoder.encode(`event: frame\nid: ${cursor()}\n`), data]);
}

export function endEvent(session: string, reason: EndReason): Uint8Array {
  return encoder.encode(`event: end\ndata: ${JSON.stringify({ session, reason })}\n\n`);
}

/** How long the client waits before it reconnects by itself after the connection drops. */
export function retryField(ms: number): Uint8Array {
  return encoder.encode(`retry: ${Math.max(0, Math.round(ms))}\n\n`);
}

/** A comment: ignored by the client, it keeps proxies from timing the connection out. */
export const KEEP_ALIVE = encoder.encode(": keep-alive\n\n");
