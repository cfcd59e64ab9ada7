import * as v from "valibot";
import { decodeJson } from "../ports/wire.js";
import { jsonWith } from "../json-text.js";
import { frameJson, type SessionRecord } from "../sessions/record.js";

/**
 * What the session store announces on a session's channel, and what the hub receives. One module
 * for both directions, so the format has one owner. JSON keeps each message on one line.
 * Replicas of different versions share channels: unknown types and malformed messages decode to
 * null and are ignored.
 */
export type ChannelMessage =
  | { type: "frame"; incarnation?: number; version: number; frame: string; expiresAt: number }
  | { type: "end"; reason: "deleted" | "expired"; incarnation?: number };

const FrameMessage = v.object({
  type: v.literal("frame"),
  incarnation: v.optional(v.number()),
  version: v.number(),
  frame: v.string(),
  expiresAt: v.number(),
});

const EndMessage = v.object({
  type: v.literal("end"),
  reason: v.optional(v.string()),
  incarnation: v.optional(v.number()),
});

/** The frame encoded once for this message and the record stored with it (frameJson). */
export function frameMessage(record: SessionRecord): string {
  const head: Omit<Extract<ChannelMessage, { type: "frame" }>, "frame"> = {
    type: "frame",
    incarnation: record.incarnation,
    version: record.version,
    expiresAt: record.expiresAt,
  };
  return jsonWith(head, `"frame":${frameJson(record)}`);
}

export function endMessage(incarnation: number): string {
  const message: ChannelMessage = { type: "end", reason: "deleted", incarnation };
  return JSON.stringify(message);
}

/** null for anything that is not a message this version understands. */
export function decodeMessage(payload: string): ChannelMessage | null {
  const message = decodeJson(v.union([FrameMessage, EndMessage]), payload);
  if (!message || message.type === "frame") return message;
  const { incarnation } = message;
  return { type: "end", reason: message.reason === "expired" ? "expired" : "deleted", ...(incarnation === undefined ? {} : { incarnation }) };
}
