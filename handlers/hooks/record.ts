import * as v from "valibot";
import { decodeJson } from "../ports/wire.js";

/** How a hook's deliveries prove they come from the sender. */
export const HOOK_SCHEMES = ["github", "gitlab", "standard", "token"] as const;
export type HookScheme = (typeof HOOK_SCHEMES)[number];

const Secret = v.union([
  v.strictObject({ plain: v.string() }),
  v.strictObject({ sealed: v.string() }),
  v.strictObject({ sha256: v.string() }),
]);

/** A hook as stored under its own key (ports/hook-store.ts). */
const HookRecordSchema = v.object({
  hookId: v.string(),
  sessionId: v.string(),
  /** The session incarnation it was made for: a session deleted and made again does not inherit it. */
  incarnation: v.number(),
  verify: v.picklist(HOOK_SCHEMES),
  map: v.record(v.string(), v.string()),
  events: v.optional(v.array(v.string())),
  mode: v.picklist(["patch", "replace"]),
  allowGet: v.boolean(),
  secret: Secret,
  createdAt: v.number(),
  /** When the secret was last set (create or rotation). */
  secretAt: v.number(),
});

export type HookRecord = v.InferOutput<typeof HookRecordSchema>;

export function parseStoredHook(json: string): HookRecord | null {
  return decodeJson(HookRecordSchema, json);
}

/** One entry of a hook's delivery log. */
export interface DeliveryEntry {
  at: string;
  method: string;
  event: string | null;
  delivery_id: string | null;
  verified: boolean;
  status: number;
  outcome: string;
  args?: Record<string, unknown>;
  error?: string;
}
