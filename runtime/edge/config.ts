/**
 * The edge entry's settings, read from its env bindings (wrangler `vars` and secrets): the rows of
 * the shared table (runtime/config.ts) whose hosts include "edge". The settings both hosts share
 * (API_KEY, KEY_PREFIX, PUBLIC_URL and the limits) go through the same rows and parsers as on the
 * Node host, so a value means the same and fails the same way on both; the Upstash connection
 * rows are edge-only. Bindings that are not strings are ignored.
 */
import { loadSettings, settingsFor, type EdgeConfig } from "../config.js";

export type { EdgeConfig } from "../config.js";

/** Every setting the edge entry reads, in table order (the table's hosts column says which). */
export const EDGE_SETTINGS: readonly string[] = settingsFor("edge").map((setting) => setting.env);

/** Throws ConfigError naming the binding that is missing or invalid. */
export function loadEdgeConfig(env: Record<string, unknown>): EdgeConfig {
  return loadSettings("edge", env);
}
