/**
 * The source of /embed.js: the <realtime-svg> element, a dependency-free ES module for pages that
 * may run script (README "Embedding with script"). It is a string because the browser runs it,
 * not a host: both hosts serve these bytes as they are (http/embed.ts).
 *
 * What it keeps to:
 * - every element of a page shares one event stream per server (GET /events?ids=…, at most
 *   MAX_EVENT_IDS' default of 16 sessions each), re-opened shortly after the set of sessions changes;
 * - frames are untrusted: each is shown as an <img> of a blob: URL of an image/svg+xml Blob, where
 *   no script in it runs; its markup never enters the page;
 * - EventSource reconnects by itself after a dropped connection (after the server's `retry:`
 *   delay) but never after an HTTP error such as a draining server's 503: then the element opens
 *   a new one with jittered, doubling delays up to 30 s (docs/FACTS.md);
 * - state is the `state` attribute, the custom state of the same name (`:state(live)`) and a
 *   `statechange` event: connecting, live, reconnecting, ended.
 *
 * Keep it free of backticks and dollar-brace sequences: it lives in a template literal.
 */
export const EMBED_ELEMENT_SOURCE = `// <realtime-svg session="ID">: a live image that reconnects. Served by realtime-svg at /embed.js.
const DEFAULT_SERVER = new URL("./", import.meta.url).href;
const MAX_IDS = 16;
const REOPEN_DELAY_MS = 25;
const FIRST_RETRY_MS = 500;
const MAX_RETRY_MS = 30000;
const SHOW = Symbol("show");
const STATE = Symbol("state");
const servers = new Map();

function message(event) {
  try {
    return JSON.parse(event.data);
  } catch {
    return null;
  }
}

/** One event stream: up to MAX_IDS sessions of one server. */
class Stream {
  constructor(server, sessions) {
    this.server = server;
    this.sessions = sessions;
    this.failures = 0;
    this.timer = 0;
    this.connect();
  }

  connect() {
    const url = new URL("events", this.server.base);
    url.searchParams.set("ids", this.sessions.join(","));
    const source = new EventSource(url);
    this.source = source;
    source.onopen = () => {
      this.failures = 0;
      this.state("live");
    };
    source.onerror = () => {
      this.state("reconnecting");
      // CONNECTING: the connection dropped and the browser reconnects by itself. CLOSED: an HTTP
      // error (a draining server's 503, a 404), which EventSource never retries.
      if (source.readyState === EventSource.CLOSED) this.retry();
    };
    source.addEventListener("frame", (event) => {
      const frame = message(event);
      if (frame) this.server.frame(frame.session, frame.frame, frame.svg);
    });
    source.addEventListener("end", (event) => {
      const end = message(event);
      if (end) this.server.end(end.session);
    });
  }

  retry() {
    const ceiling = Math.min(MAX_RETRY_MS, FIRST_RETRY_MS * 2 ** this.failures);
    this.failures++;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.connect(), ceiling / 2 + (Math.random() * ceiling) / 2);
  }

  state(state) {
    for (const session of this.sessions) this.server.state(session, state);
  }

  close() {
    clearTimeout(this.timer);
    this.source.close();
  }
}

/** One server's sessions on this page, the frame each shows, and the streams that carry them. */
class Server {
  constructor(base) {
    this.base = base;
    this.elements = new Map();
    this.frames = new Map();
    this.ended = new Set();
    this.streams = [];
    this.timer = 0;
  }

  add(session, element) {
    let elements = this.elements.get(session);
    if (!elements) {
      elements = new Set();
      this.elements.set(session, elements);
      this.reopen();
    }
    elements.add(element);
    const shown = this.frames.get(session);
    if (shown) element[SHOW](shown.svg);
    element[STATE](this.ended.has(session) ? "ended" : shown ? "live" : "connecting");
  }

  remove(session, element) {
    const elements = this.elements.get(session);
    if (!elements || !elements.delete(element) || elements.size > 0) return;
    this.elements.delete(session);
    this.frames.delete(session);
    this.ended.delete(session);
    this.reopen();
  }

  reopen() {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.open(), REOPEN_DELAY_MS);
  }

  open() {
    for (const stream of this.streams) stream.close();
    const sessions = [...this.elements.keys()].filter((session) => !this.ended.has(session)).sort();
    this.streams = [];
    for (let i = 0; i < sessions.length; i += MAX_IDS) this.streams.push(new Stream(this, sessions.slice(i, i + MAX_IDS)));
  }

  frame(session, tag, svg) {
    const elements = this.elements.get(session);
    const shown = this.frames.get(session);
    if (!elements || (shown && shown.tag === tag)) return;
    this.frames.set(session, { tag, svg });
    for (const element of elements) element[SHOW](svg);
  }

  end(session) {
    if (!this.elements.has(session) || this.ended.has(session)) return;
    this.state(session, "ended");
    this.ended.add(session);
    this.reopen();
  }

  state(session, state) {
    if (this.ended.has(session)) return;
    for (const element of this.elements.get(session) || []) element[STATE](state);
  }
}

function serverFor(base) {
  let server = servers.get(base);
  if (!server) {
    server = new Server(base);
    servers.set(base, server);
  }
  return server;
}

class RealtimeSvgElement extends HTMLElement {
  static observedAttributes = ["session", "server", "alt", "width", "height"];
  #img = document.createElement("img");
  #url = "";
  #joined = null;
  #internals = null;
  #state = "";

  constructor() {
    super();
    const root = this.attachShadow({ mode: "open" });
    if ("adoptedStyleSheets" in root && typeof CSSStyleSheet.prototype.replaceSync === "function") {
      const sheet = new CSSStyleSheet();
      sheet.replaceSync(":host{display:inline-block}img{display:block;max-width:100%}");
      root.adoptedStyleSheets = [sheet];
    }
    this.#img.setAttribute("part", "image");
    root.append(this.#img);
    try {
      this.#internals = this.attachInternals();
    } catch {
      this.#internals = null;
    }
  }

  get state() {
    return this.#state;
  }

  connectedCallback() {
    this.#join();
  }

  disconnectedCallback() {
    this.#leave();
    this.#img.removeAttribute("src");
    if (this.#url) URL.revokeObjectURL(this.#url);
    this.#url = "";
  }

  attributeChangedCallback(name, old, value) {
    if (name === "session" || name === "server") {
      if (this.isConnected && old !== value) {
        this.#leave();
        this.#join();
      }
    } else if (value === null) {
      this.#img.removeAttribute(name);
    } else {
      this.#img.setAttribute(name, value);
    }
  }

  #join() {
    const session = this.getAttribute("session");
    if (!session) return;
    let base;
    try {
      base = new URL(this.getAttribute("server") || DEFAULT_SERVER, document.baseURI);
    } catch {
      return;
    }
    if (!base.pathname.endsWith("/")) base.pathname += "/";
    const server = serverFor(base.href);
    this.#joined = { server, session };
    server.add(session, this);
  }

  #leave() {
    if (this.#joined) this.#joined.server.remove(this.#joined.session, this);
    this.#joined = null;
  }

  [SHOW](svg) {
    const previous = this.#url;
    this.#url = URL.createObjectURL(new Blob([svg], { type: "image/svg+xml" }));
    this.#img.src = this.#url;
    if (previous) this.#img.decode().catch(() => {}).finally(() => URL.revokeObjectURL(previous));
  }

  [STATE](state) {
    if (state === this.#state) return;
    const states = this.#internals && this.#internals.states;
    if (states) {
      try {
        if (this.#state) states.delete(this.#state);
        states.add(state);
      } catch {
        // custom states without the CSS-name form (Chromium before 125) are left out
      }
    }
    this.#state = state;
    this.setAttribute("state", state);
    this.dispatchEvent(new Event("statechange"));
  }
}

if (!customElements.get("realtime-svg")) customElements.define("realtime-svg", RealtimeSvgElement);
`;
