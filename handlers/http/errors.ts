/**
 * Every error code the API answers with, and its status: the one table (the README's error
 * tables are checked against it). Errors are values with a code a machine can switch on and a
 * message a person can act on; http/respond.ts is the one place they become HTTP.
 */
export const ERROR_CODES = {
  invalid_json: { status: 400, when: "the body is not JSON, or empty" },
  invalid_body: { status: 400, when: "the body is not an object, a field has the wrong type, or a field is unknown" },
  missing_field: { status: 400, when: "a required field is missing (html sessions need width and height)" },
  invalid_session_id: { status: 400, when: "the session id is not allowed" },
  invalid_expire: { status: 400, when: "expire is malformed, not positive, or above MAX_EXPIRE" },
  invalid_size: { status: 400, when: "width or height given for an svg session" },
  invalid_query: { status: 400, when: "a query option is out of range" },
  invalid_scale: { status: 400, when: "scale is not 0.5 or a whole number from 1 to MAX_PNG_SCALE" },
  invalid_template: { status: 400, when: "the template is empty" },
  template_syntax: { status: 400, when: "the template does not parse" },
  template_too_large: { status: 400, when: "the template is above MAX_TEMPLATE_BYTES" },
  args_too_large: { status: 400, when: "args are above MAX_ARGS_BYTES as JSON" },
  args_too_deep: { status: 400, when: "args nest objects and arrays deeper than MAX_ARGS_DEPTH" },
  args_too_many_keys: { status: 400, when: "args hold more than MAX_ARGS_KEYS keys and array elements in all" },
  invalid_args: { status: 400, when: "an args key or string holds a character XML forbids (a C0 control other than tab, LF, CR; a lone surrogate; U+FFFE, U+FFFF)" },
  frame_too_large: { status: 400, when: "the rendered frame is above MAX_FRAME_BYTES" },
  frame_not_svg: { status: 400, when: "an svg session's rendered frame is not well-formed XML with an <svg> root (a DOCTYPE is refused)" },
  frame_too_deep: { status: 400, when: "an svg session's rendered frame nests elements deeper than MAX_SVG_DEPTH" },
  render_limit_exceeded: { status: 400, when: "rendering ran past RENDER_TIMEOUT_MS or RENDER_MEMORY_BYTES" },
  render_failed: { status: 400, when: "rendering failed (e.g. an include, or satori refused the markup)" },
  element_not_allowed: { status: 400, when: "html markup has an element that is not listed" },
  event_handler: { status: 400, when: "html markup has an on* attribute" },
  external_reference: { status: 400, when: "html markup names a URL that is not data: or #fragment" },
  markup_syntax: { status: 400, when: "html markup has an unclosed or mismatched tag" },
  markup_too_large: { status: 400, when: "html markup is above MAX_HTML_BYTES or MAX_HTML_NODES" },
  markup_too_deep: { status: 400, when: "html markup nests deeper than MAX_HTML_DEPTH" },
  markup_text_too_long: { status: 400, when: "html markup holds more than MAX_HTML_TEXT characters of text" },
  png_too_large: { status: 400, when: "the PNG would exceed MAX_PNG_PIXELS" },
  stale_timestamp: { status: 401, when: "a Standard Webhooks delivery's webhook-timestamp is more than 5 minutes from the server's clock (either way)" },
  invalid_signature: { status: 401, when: "a webhook delivery's signature, token or secret is missing or does not match the hook's (the hook is unchanged)" },
  unauthorized: { status: 401, when: "no usable Authorization: Bearer header" },
  forbidden: { status: 403, when: "the token grants no access to this session" },
  not_found: { status: 404, when: "no such session, or no such route" },
  hook_not_found: { status: 404, when: "no such hook, or its session is gone (the hook is then removed)" },
  method_not_allowed: { status: 405, when: "the path exists but not with this method (the Allow header lists its methods)" },
  request_timeout: { status: 408, when: "the request body did not arrive within BODY_TIMEOUT_MS (the connection is then closed)" },
  session_exists: { status: 409, when: "the session id is taken" },
  write_conflict: { status: 409, when: "the session changed concurrently too often; retry" },
  too_many_hooks: { status: 409, when: "the session has MAX_HOOKS_PER_SESSION hooks already" },
  delivery_in_progress: { status: 409, when: "a webhook delivery with the same delivery id is being applied right now; retry" },
  payload_too_large: { status: 413, when: "the body is above MAX_BODY_BYTES" },
  unsupported_media_type: { status: 415, when: "the Content-Type is absent or not JSON" },
  too_many_previews: { status: 429, when: "this client has MAX_PREVIEWS_PER_CLIENT previews rendering already (with Retry-After)" },
  mapping_failed: { status: 422, when: "a hook's map could not be rendered from the delivery (the message names the argument)" },
  frame_not_renderable: { status: 422, when: "the frame is not an SVG the PNG renderer can draw" },
  png_render_limit_exceeded: { status: 422, when: "the PNG's filters exceed MAX_PNG_FILTER_PIXELS or MAX_PNG_FILTER_RADIUS, or its render ran past PNG_TIMEOUT_MS or RENDER_WORKER_MEMORY_BYTES (remembered per frame version and scale)" },
  client_closed_request: { status: 499, when: "the client closed the connection before its request body arrived (never delivered; logged and counted as 499)" },
  internal_error: { status: 500, when: "an unexpected failure (details are logged, never sent)" },
  record_unreadable: { status: 500, when: "the stored session cannot be read by this server version" },
  misconfigured: { status: 500, when: "the edge worker's bindings are missing or invalid" },
  html_unavailable: { status: 501, when: "the host was started without fonts for html sessions" },
  hooks_unavailable: { status: 501, when: "the host's store keeps no webhooks" },
  png_unavailable: { status: 501, when: "the host was started without PNG support" },
  store_full: { status: 507, when: "the session store is full (MEMORY_MAX_BYTES, MEMORY_MAX_SESSIONS, or Redis maxmemory); nothing stored was changed" },
  store_unavailable: { status: 503, when: "the session store is unreachable or timed out (with Retry-After)" },
  write_unconfirmed: { status: 503, when: "the change is stored on the Redis primary, but fewer than REDIS_WAIT_REPLICAS replicas confirmed it within REDIS_WAIT_TIMEOUT_MS, so a failover now could lose it; send it again (with Retry-After)" },
  previews_busy: { status: 503, when: "this process (an edge isolate) renders MAX_PREVIEWS previews already (with Retry-After)" },
  render_busy: { status: 503, when: "every render process is busy and RENDER_QUEUE renders already wait (with Retry-After)" },
  too_many_streams: { status: 503, when: "this process holds MAX_STREAMS streams, or this client MAX_STREAMS_PER_CLIENT (with Retry-After)" },
  draining: { status: 503, when: "this process is shutting down and opens no new streams; open it again and another replica answers (with Retry-After)" },
} as const satisfies Record<string, { status: number; when: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;

/**
 * Fields an error's JSON carries besides `error` and `code`: where a template error is (`line`,
 * `column`), or where in the rendered frame (`frame_line`, `frame_column`); 1-based.
 */
export type ErrorDetails = Readonly<Partial<Record<"line" | "column" | "frame_line" | "frame_column", number>>>;

export class AppError extends Error {
  override readonly name = "AppError";
  readonly status: number;
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly headers: Record<string, string> = {},
    readonly details: ErrorDetails = {},
  ) {
    super(message);
    this.status = ERROR_CODES[code].status;
  }
}

export const notFound = (what: string) => new AppError("not_found", `${what} not found`);

/** A session that is not there; `ended` when the store recorded its delete, so an image can say so. */
export class SessionNotFound extends AppError {
  constructor(
    id: string,
    readonly ended: boolean,
  ) {
    super("not_found", `session ${id} not found`);
  }
}
