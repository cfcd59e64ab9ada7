import type { IRequest } from "itty-router";
import { baseUrl, type AppContext } from "../context.js";
import { prefersOverJson } from "../http/accept.js";
import { AppError, SessionNotFound } from "../http/errors.js";
import { isSessionId } from "../sessions/ids.js";
import { NEVER, type Lifetime } from "../sessions/lifetime.js";
import { sessionView } from "../sessions/routes.js";
import { uiAssets } from "./assets.js";
import { escapeHtml, renderPage } from "./document.js";
import { chooseLanguage } from "./language.js";
import { format, LANGUAGES, type Messages } from "./messages.js";
import { starterById, STARTERS } from "./starters.js";
import { starterThumbnails } from "./thumbnails.js";
import { requestUrl } from "../http/request-url.js";

/** A browser navigating (Accept ranks HTML above JSON) gets pages; API clients keep JSON errors. */
export const wantsHtml = (request: Request): boolean => prefersOverJson(request.headers.get("accept"), "text/html");

const LIFETIMES: readonly { key: keyof Messages; seconds: number }[] = [
  { key: "lifetime_1h", seconds: 3_600 },
  { key: "lifetime_1d", seconds: 86_400 },
  { key: "lifetime_7d", seconds: 7 * 86_400 },
  { key: "lifetime_30d", seconds: 30 * 86_400 },
];

/** What the studio and the session page offer as lifetimes: what MAX_EXPIRE allows, `never` only where it is allowed. */
export function lifetimeChoices(ctx: AppContext, m: Messages): { value: Lifetime; label: string }[] {
  const max = ctx.limits.maxExpireSeconds;
  const choices: { value: Lifetime; label: string }[] = LIFETIMES.filter((l) => max === NEVER || l.seconds <= max).map((l) => ({
    value: l.seconds,
    label: m[l.key],
  }));
  const fallback = ctx.limits.defaultExpireSeconds;
  if (fallback !== NEVER && !choices.some((c) => c.value === fallback)) choices.push({ value: fallback, label: `${fallback} s` });
  if (max === NEVER) choices.push({ value: NEVER, label: m.lifetime_never });
  return choices;
}

/** The server facts a page's script needs: lifetimes, the default, limits, whether creating needs the API key. */
async function serverInfo(ctx: AppContext, m: Messages) {
  return {
    lifetimes: lifetimeChoices(ctx, m),
    defaultExpire: ctx.limits.defaultExpireSeconds,
    apiKeyRequired: (await ctx.apiKeyHash) !== undefined,
    maxTemplateBytes: ctx.limits.maxTemplateBytes,
    maxArgsBytes: ctx.limits.maxArgsBytes,
    missingFonts: ctx.ui?.missingFonts ?? [],
  };
}

const starterKey = (id: string, suffix = "") => `starter_${id}${suffix}` as keyof Messages;

/** GET / — the front door: what a live image is, a live example, the starters. */
export async function frontPage(request: IRequest, ctx: AppContext): Promise<Response> {
  const lang = chooseLanguage(request);
  const m = LANGUAGES[lang];
  const thumbnails = await starterThumbnails(ctx);
  const missing = (ctx.ui?.missingFonts ?? []).length > 0;
  const cards = STARTERS.map((starter) => {
    const thumb = thumbnails.get(starter.id);
    const picture = thumb
      ? `<img src="${escapeHtml(thumb)}" alt="" width="${starter.width ?? ""}">`.replace(' width=""', "")
      : "";
    const needs = starter.needsFonts && missing ? `<p class="note">${escapeHtml(m.starter_card_needs)}</p>` : "";
    return `<li class="starter" id="starter-${starter.id}"><a href="/new?template=${starter.id}">
<span class="thumb">${picture}</span><strong>${escapeHtml(m[starterKey(starter.id)])}</strong></a>
<p>${escapeHtml(m[starterKey(starter.id, "_desc")])}</p>${needs}</li>`;
  }).join("\n");
  const badge = STARTERS[0]!;
  const main = `<section class="hero"><h1>${escapeHtml(m.front_title)}</h1><p class="lead">${escapeHtml(m.front_lead)}</p>
<div class="try"><label for="try-text">${escapeHtml(m.front_try_label)}</label> <input id="try-text" value="${escapeHtml(String(badge.args.status))}" maxlength="40">
<p class="try-caption">${escapeHtml(m.front_try)}</p>
<div class="try-image" aria-live="polite"><img id="try-image" src="${escapeHtml(thumbnails.get("badge") ?? "")}" alt="${escapeHtml(m.preview_alt)}"></div></div>
<ol class="how">${[m.front_how_1, m.front_how_2, m.front_how_3].map((s) => `<li>${escapeHtml(s)}</li>`).join("")}</ol></section>
<section aria-labelledby="starters"><h2 id="starters">${escapeHtml(m.front_starters)}</h2>
<ul class="starters">${cards}
<li class="starter blank"><a href="/new"><span class="thumb"></span><strong>${escapeHtml(m.front_blank)}</strong></a></li></ul></section>`;
  return renderPage(await uiAssets(ctx), {
    page: "front",
    lang,
    title: m.front_title,
    main,
    data: { badge: { template: badge.template, args: badge.args } },
  });
}

/** GET /new — the studio; `?template=<starter id>` starts from a starter. */
export async function studioPage(request: IRequest, ctx: AppContext): Promise<Response> {
  const lang = chooseLanguage(request);
  const m = LANGUAGES[lang];
  const starter = starterById(requestUrl(request).searchParams.get("template")) ?? null;
  const main = `<h1>${escapeHtml(m.studio_title)}</h1><div id="app" class="studio"></div>`;
  return renderPage(await uiAssets(ctx), {
    page: "studio",
    lang,
    title: m.studio_title,
    main,
    data: { info: await serverInfo(ctx, m), starter, missingFontsApply: Boolean(starter?.needsFonts) },
  });
}

/** GET /session/:id — the live image, its arguments, lifetime, snippets. A missing one: an HTML 404 for browsers. */
export async function sessionPage(request: IRequest, ctx: AppContext): Promise<Response> {
  let id = String(request.params.id);
  try {
    id = decodeURIComponent(id);
  } catch {
    // not percent-encoding: shown (escaped) as it came
  }
  const lang = chooseLanguage(request);
  const m = LANGUAGES[lang];
  const found = isSessionId(id) ? await ctx.store.lookup(id) : undefined;
  if (found?.state !== "live") {
    if (!wantsHtml(request)) {
      if (!isSessionId(id)) throw new AppError("invalid_session_id", "the session id is not allowed");
      throw new SessionNotFound(id, found?.state === "deleted");
    }
    return notFoundPage(request, ctx, id);
  }
  const view = sessionView(found.record);
  const alt = escapeHtml(format(m.live_image, { id }));
  // What shows before (or without) the script: the live image; the script renders the page over it.
  const main = `<h1>${escapeHtml(id)}</h1><div id="app" class="session"><realtime-svg session="${escapeHtml(id)}" alt="${alt}"></realtime-svg>
<noscript><img src="/stream/${escapeHtml(id)}" alt="${alt}"></noscript></div>`;
  return renderPage(await uiAssets(ctx), {
    page: "session",
    lang,
    title: id,
    main,
    embed: true,
    data: { info: await serverInfo(ctx, m), session: view, base: baseUrl(ctx, request) },
  });
}

/** GET /sessions — My images: the sessions whose tokens this browser remembers (all of it in the browser). */
export async function sessionsPage(request: IRequest, ctx: AppContext): Promise<Response> {
  const lang = chooseLanguage(request);
  const m = LANGUAGES[lang];
  const main = `<h1>${escapeHtml(m.sessions_title)}</h1><p>${escapeHtml(m.sessions_lead)}</p><div id="app" class="sessions"></div>`;
  return renderPage(await uiAssets(ctx), { page: "sessions", lang, title: m.sessions_title, main, embed: true });
}

/** The HTML 404: for a session id, that it is not there; otherwise that there is no page. */
export async function notFoundPage(request: Request, ctx: AppContext, id?: string): Promise<Response> {
  const lang = chooseLanguage(request);
  const m = LANGUAGES[lang];
  const text = id === undefined ? m.not_found_page : format(m.not_found_session, { id });
  const main = `<h1>${escapeHtml(m.not_found_title)}</h1><p>${escapeHtml(text)}</p>
<p><a class="button" href="/new">${escapeHtml(m.not_found_make)}</a> <a href="/">${escapeHtml(m.nav_home)}</a></p>`;
  return renderPage(await uiAssets(ctx), { page: "basic", lang, title: m.not_found_title, main, status: 404 });
}
