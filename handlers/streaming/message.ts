/** What travels on a session's channel. JSON keeps it on one line (a store contract rule). */
export type ChannelMessage =
  | { type: "frame"; version: number; frame: string; expiresAt: number }
  | { type: "end"; reason: "deleted" | "expired" };

export function encodeMessage(message: ChannelMessage): string {
  return JSON.stringify(message);
}

/** null for anything that is not a message this version understands. */
export function decodeMessage(payload: string): ChannelMessage | null {
  let value: unknown;
  try {
    value = JSON.parse(payload);
  } catch {
    return null;
  }
  if (typeof value !== "object" || value === null) return null;
  const message = value as Record<string, unknown>;
  if (
    message.type === "frame" &&
    typeof message.version === "number" &&
    typeof message.frame === "string" &&
    typeof message.expiresAt === "number"
  ) {
    return { type: "frame", version: message.version, frame: message.frame, expiresAt: message.expiresAt };
  }
  if (message.type === "end") {
    return { type: "end", reason: message.reason === "expired" ? "expired" : "deleted" };
  }
  return null;
}
