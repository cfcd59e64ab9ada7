import { describe, expect, it } from "vitest";
import { sessionView } from "../../handlers/sessions/routes.js";
import type { SessionRecord } from "../../handlers/sessions/record.js";

const at = (createdAt: number, updatedAt: number, expiresAt: number): SessionRecord => ({
  id: "s",
  template: "<svg/>",
  args: {},
  frame: "<svg/>",
  incarnation: createdAt * 1000 + 1,
  version: 1,
  tokenHash: "ab".repeat(32),
  createdAt,
  updatedAt,
  expiresAt,
});

describe("a session's view", () => {
  it("shows each time as ISO 8601, whatever times came before it", () => {
    const T = 1_796_000_000_000;
    // Repeats, neighbours and other days come back in any order.
    const times = [T, T + 64, T, T + 1, T + 128, T + 64, T + 1, T + 86_400_000, T + 86_400_064, T];
    for (const [i, createdAt] of times.entries()) {
      const updatedAt = times[(i + 3) % times.length]!;
      const expiresAt = times[(i + 7) % times.length]! + 3_600_000;
      const view = sessionView(at(createdAt, updatedAt, expiresAt));
      expect(view.created_at).toBe(new Date(createdAt).toISOString());
      expect(view.updated_at).toBe(new Date(updatedAt).toISOString());
      expect(view.expires_at).toBe(new Date(expiresAt).toISOString());
    }
  });
});
