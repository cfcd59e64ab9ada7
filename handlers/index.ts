/**
 * The portable core's public entry: everything a host (runtime/node, runtime/edge) and a store
 * implementation (runtime/stores) may use. Hosts import this file only.
 */
export { createApp, type App, type CreateAppOptions, type Ports } from "./app.js";
export { createServices, type Services } from "./context.js";
export { errorJson, plainAnswerOf, type PlainAnswer } from "./http/respond.js";
export { AppError, ERROR_CODES, type ErrorCode } from "./http/errors.js";
export type { Metrics } from "./metrics.js";
export { NO_METRICS } from "./metrics.js";
export { DEFAULT_LIMITS, type AppOptions, type Limits, type MetricsEndpoint } from "./options.js";
export { assertAnnouncement, type Broker, type BrokerListener } from "./ports/broker.js";
export type { DeliveryClaim, HookStore } from "./ports/hook-store.js";
export {
  StoreUnavailableError,
  TOMBSTONE_SECONDS,
  announcementText,
  type Announcement,
  type CommitOptions,
  type CommitResult,
  type Expected,
  type SessionLookup,
  type SessionStore,
} from "./ports/session-store.js";
export type { FontFace, FontWeight, RenderAssets } from "./rendering/assets.js";
export type { Renderers } from "./ports/renderers.js";
export type { Sha256Hex } from "./ports/digest.js";
export type { PageName, UiAssets, UiFile, UiHost } from "./pages/assets.js";
export type { ClockState } from "./rendering/deadline.js";
export { ASSET_TIMEOUT_MS, HtmlRenderer } from "./rendering/html.js";
export { PngRenderer } from "./rendering/png.js";
export { parseDuration, parseLifetime } from "./sessions/expire.js";
export { exceeds, NEVER, type Lifetime } from "./sessions/lifetime.js";
export { LEGACY_INCARNATION_FACTOR, parseStoredRecord, recordJson, type SessionRecord } from "./sessions/record.js";
export type { Hub } from "./streaming/hub.js";
export { wasSentDirectly, type DirectStreams, type Outlet, type OutletEvents } from "./streaming/outlet.js";
export type { HostHooks } from "./streaming/routes.js";
export type { BodySource } from "./http/body.js";
