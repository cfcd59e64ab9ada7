import { LANGUAGES, type Language, type Messages } from "./messages.js";
import type { PageName, UiAssets } from "./assets.js";

export const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** JSON inside <script type="application/json">: no `<` may end the element early. */
const scriptJson = (value: unknown): string =>
  JSON.stringify(value).replace(/</g, "\\u003c").replace(/\u2028/g, "\\u2028").replace(/\u2029/g, "\\u2029");

export interface PageParts {
  page: PageName;
  lang: Language;
  title: string;
  /** Server-rendered body of <main> (escaped by the caller). */
  main: string;
  /** What the page's script reads (#page-data); the messages are added here. */
  data?: Record<string, unknown>;
  status?: number;
  /** The page loads /embed.js (the <realtime-svg> element). */
  embed?: boolean;
}

const nonceOf = () => btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(16))));

/**
 * The Content-Security-Policy of every page: scripts only by this response's nonce (the page's
 * bundle and /embed.js), styles from the app or by nonce (CodeMirror writes its own <style>
 * elements and is given the nonce), images from the app, `blob:` (previews and live frames are
 * shown as blob: images, never as markup) and `data:` (the front door's thumbnails), fonts from
 * the app (the Korean web font's subsets, /ui/*.woff2), and fetches and event streams to the app alone.
 */
export const pageCsp = (nonce: string): string =>
  `default-src 'none'; script-src 'nonce-${nonce}'; style-src 'self' 'nonce-${nonce}'; img-src 'self' blob: data:; font-src 'self'; ` +
  `connect-src 'self'; manifest-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'`;

export const PAGE_HEADERS = {
  "Content-Type": "text/html; charset=utf-8",
  "Cache-Control": "no-store",
  "X-Content-Type-Options": "nosniff",
  "Referrer-Policy": "same-origin",
  // The server's pick depends on both (language.ts).
  Vary: "Accept-Language, Cookie",
} as const;

function header(m: Messages, lang: Language, current: PageName): string {
  const link = (href: string, text: string, page: PageName) =>
    `<a href="${href}"${page === current ? ' aria-current="page"' : ""}>${escapeHtml(text)}</a>`;
  const option = (value: Language, text: string) =>
    `<option value="${value}" lang="${value}"${value === lang ? " selected" : ""}>${text}</option>`;
  return `<header class="top"><a class="brand" href="/">${escapeHtml(m.brand)}</a>
<nav aria-label="${escapeHtml(m.brand)}">${link("/new", m.nav_new, "studio")}${link("/sessions", m.nav_sessions, "sessions")}</nav>
<span class="lang"><select id="language" aria-label="Language">${option("en", "English")}${option("ko", "한국어")}</select></span>
</header>`;
}

/** A whole page: the shell every page shares, its server-rendered main, its data and scripts. */
export function renderPage(ui: UiAssets, parts: PageParts): Response {
  const m = LANGUAGES[parts.lang];
  const nonce = nonceOf();
  const styles = ui.styles.map((href) => `<link rel="stylesheet" href="${href}">`).join("");
  const icon = ui.icon ? `<link rel="icon" href="${ui.icon}" type="image/svg+xml">` : "";
  const scripts = ui.scripts[parts.page].map((src) => `<script type="module" src="${src}" nonce="${nonce}"></script>`);
  if (parts.embed) scripts.push(`<script type="module" src="/embed.js" nonce="${nonce}"></script>`);
  const data = { lang: parts.lang, m, ...parts.data };
  const html = `<!doctype html>
<html lang="${parts.lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(parts.title)} · realtime-svg</title>${styles}${icon}
</head><body>
<a class="skip" href="#main">${escapeHtml(m.skip)}</a>
${header(m, parts.lang, parts.page)}
<main id="main" tabindex="-1">${parts.main}</main>
<script type="application/json" id="page-data">${scriptJson(data)}</script>
${scripts.join("\n")}
</body></html>`;
  return new Response(html, {
    status: parts.status ?? 200,
    headers: { ...PAGE_HEADERS, "Content-Security-Policy": pageCsp(nonce) },
  });
}
