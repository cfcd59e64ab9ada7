import type { UiAssets, UiHost } from "../../handlers/index.js";

/**
 * The web UI inside the edge bundle. runtime/edge/build.ts replaces this module's `BUNDLED` with
 * what ui/build.ts built, so the worker carries its pages' scripts and styles as strings (no file
 * system, no second deployment). Loaded unbundled (a test importing the worker from source) it has
 * none, and pages answer without script.
 */
const BUNDLED: UiAssets | undefined = undefined;

/** The edge host ships no CJK faces and no emoji set (runtime/edge/assets.ts), so html cards with them do not draw. */
export const EDGE_MISSING_FONTS = ["Korean (CJK)", "emoji"] as const;

export function edgeUiHost(): UiHost | undefined {
  const assets = BUNDLED as UiAssets | undefined;
  return assets ? { load: () => Promise.resolve(assets), missingFonts: EDGE_MISSING_FONTS } : undefined;
}
