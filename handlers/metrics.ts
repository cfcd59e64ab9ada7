/**
 * What the app counts. Handlers only call these hooks; a host maps them to its metrics system
 * (the Node host to Prometheus via prom-client). Gauges such as open streams are read from the
 * hub when scraped, so they need no hook.
 */
export interface Metrics {
  /** A create or a write stored a new frame and announced it. */
  framePublished(): void;
  /** A frame (or keep-alive resend) was queued to a viewer's connection. */
  frameDelivered(): void;
  /** An unsent frame was replaced by a newer one because its viewer reads too slowly. */
  frameDropped(): void;
  /** A write's compare-and-set lost to a writer elsewhere and was retried. */
  writeConflict(): void;
  /** One render of a template, in seconds. */
  renderObserved(seconds: number): void;
  /** A store operation failed (unreachable, timed out). */
  storeError(): void;
  /** A create or write was refused because the store is full (507 store_full); not an outage. */
  storeFull(): void;
  /** A request was answered; `route` is the route pattern, e.g. /stream/:id. */
  requestObserved(route: string, method: string, status: number): void;
}

const ignore = () => {};

export const NO_METRICS: Metrics = {
  framePublished: ignore,
  frameDelivered: ignore,
  frameDropped: ignore,
  writeConflict: ignore,
  renderObserved: ignore,
  storeError: ignore,
  storeFull: ignore,
  requestObserved: ignore,
};
