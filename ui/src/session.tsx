/**
 * /session/ID — the live image with its state, the arguments as a form saved by PATCH, the
 * template, lifetime and expiry, webhooks, delete, and snippets to copy. Writes use the token this browser
 * remembers, or one pasted once.
 */
import { render } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import { ArgsForm } from "./args-form.js";
import { HooksPanel } from "./hooks-panel.js";
import { api, CopyButton, data, forgetToken, formatTime, languageSwitch, rememberedTokens, rememberToken, t, type ApiError } from "./common.js";
import { ErrorText, type ServerInfo } from "./parts.js";

type Args = Record<string, unknown>;
interface SessionView {
  session_id: string;
  kind: "svg" | "html";
  template: string;
  args: Args;
  version: number;
  created_at: string;
  updated_at: string;
  expires_at: string | null;
  expire?: number | "never";
  renew: boolean;
}

const info = data.info as ServerInfo;
const base = data.base as string;
const initial = data.session as SessionView;
const id = initial.session_id;

/** A shell word: single-quoted, with each ' closed, escaped and reopened. */
const shellQuote = (text: string) => `'${text.replace(/'/g, `'\\''`)}'`;

function snippets(args: Args): { what: string; text: string; hint?: string }[] {
  const stream = `${base}/stream/${id}`;
  const update = JSON.stringify({ args });
  return [
    { what: t("snippet_html"), text: `<img src="${stream}" alt="${id}">` },
    { what: t("snippet_markdown"), text: `![${id}](${stream})` },
    { what: t("snippet_markdown_github"), text: `![${id}](${base}/svg/${id})`, hint: t("snippet_markdown_github_hint") },
    { what: t("snippet_element"), text: `<script type="module" src="${base}/embed.js"></script>\n<realtime-svg session="${id}" alt="${id}"></realtime-svg>` },
    {
      what: t("snippet_curl"),
      text: `curl -X PATCH ${base}/api/session/${id} \\\n  -H "Authorization: Bearer $REALTIME_SVG_TOKEN" \\\n  -H 'Content-Type: application/json' \\\n  -d ${shellQuote(update)}`,
    },
    {
      what: t("snippet_actions"),
      hint: t("snippet_actions_hint"),
      text: `- name: Update the live image\n  run: |\n    curl -fsS -X PATCH ${base}/api/session/${id} \\\n      -H "Authorization: Bearer \${{ secrets.REALTIME_SVG_TOKEN }}" \\\n      -H 'Content-Type: application/json' \\\n      -d ${shellQuote(update)}`,
    },
  ];
}

const STATES: Record<string, "connecting" | "live" | "reconnecting" | "ended"> = {
  connecting: "connecting",
  live: "live",
  reconnecting: "reconnecting",
  ended: "ended",
};

function SessionPage() {
  const [view, setView] = useState(initial);
  const [args, setArgs] = useState<Args>(initial.args);
  const [template, setTemplate] = useState(initial.template);
  const [token, setToken] = useState(() => rememberedTokens()[id]?.token ?? "");
  const [pasted, setPasted] = useState("");
  const [rememberPasted, setRememberPasted] = useState(true);
  const [state, setState] = useState("connecting");
  const [status, setStatus] = useState("");
  const [error, setError] = useState<ApiError | null>(null);
  const [lifetime, setLifetime] = useState(String(initial.expire ?? info.defaultExpire));
  const [confirming, setConfirming] = useState(false);
  const [deleted, setDeleted] = useState(false);
  const live = useRef<HTMLElement>(null);

  useEffect(() => {
    const element = live.current;
    if (!element) return;
    const changed = () => setState((element as HTMLElement & { state: string }).state || "connecting");
    element.addEventListener("statechange", changed);
    changed();
    return () => element.removeEventListener("statechange", changed);
  }, [deleted]);

  async function write(method: "PATCH" | "DELETE", body: unknown, done: string) {
    setStatus(t("saving"));
    setError(null);
    const result = await api<SessionView>(method, `/api/session/${encodeURIComponent(id)}`, body, token);
    if (!result.ok) {
      setStatus("");
      setError(result.error);
      return false;
    }
    if (result.value) {
      setView(result.value);
      setArgs(result.value.args);
    }
    setStatus(done);
    return true;
  }

  if (deleted) {
    return (
      <section class="panel">
        <p role="status">{t("deleted")}</p>
        <p>
          <a href="/sessions">{t("nav_sessions")}</a> · <a href="/new">{t("nav_new")}</a>
        </p>
      </section>
    );
  }

  const indicator = STATES[state] ?? "connecting";
  return (
    <div class="session-grid">
      <div class="col">
        <section class="panel live-panel" aria-label={t("live_image", { id })}>
          <div class="live-image checker">
            <realtime-svg ref={live} session={id} alt={t("live_image", { id })} />
          </div>
          <p id="state" class="state" data-state={indicator} role="status">
            {t(indicator === "reconnecting" ? "reconnecting" : indicator)}
          </p>
        </section>
        <section class="panel" aria-labelledby="details-title">
          <h2 id="details-title">{t("details")}</h2>
          <dl class="facts">
            <dt>{t("version")}</dt>
            <dd id="version">{view.version}</dd>
            <dt>{t("updated")}</dt>
            <dd>
              <time dateTime={view.updated_at}>{formatTime(view.updated_at)}</time>
            </dd>
            <dt>{t("created_at")}</dt>
            <dd>
              <time dateTime={view.created_at}>{formatTime(view.created_at)}</time>
            </dd>
            <dt>{t("expires")}</dt>
            <dd id="expires">
              {view.expires_at ? <time dateTime={view.expires_at}>{formatTime(view.expires_at)}</time> : t("never")}
              {view.renew ? ` (${t("renews")})` : ""}
            </dd>
          </dl>
        </section>
        <section class="panel" aria-labelledby="snippets-title">
          <h2 id="snippets-title">{t("snippets")}</h2>
          {snippets(view.args).map((snippet, index) => (
            <div class="snippet" key={snippet.what}>
              <label for={`snippet-${index}`}>{snippet.what}</label>
              {snippet.hint && <span class="hint">{snippet.hint}</span>}
              <textarea id={`snippet-${index}`} class="mono" readOnly rows={snippet.text.split("\n").length + 1} value={snippet.text} />
              <CopyButton text={snippet.text} what={snippet.what} />
            </div>
          ))}
          <p class="links">
            {t("links")}: <a href={`/png/${id}`}>{t("png_link")}</a> · <a href={`/svg/${id}`}>{t("svg_link")}</a>
          </p>
        </section>
      </div>
      <div class="col">
        {!token && (
          <section class="panel" aria-labelledby="token-title">
            <h2 id="token-title">{t("token")}</h2>
            <p>{t("token_needed")}</p>
            <form
              onSubmit={(e) => {
                e.preventDefault();
                const value = pasted.trim();
                if (!value) return;
                setToken(value);
                if (rememberPasted) rememberToken(id, value);
              }}
            >
              <label for="token-input">{t("token")}</label>
              <input id="token-input" class="mono" type="password" autoComplete="off" value={pasted} onInput={(e) => setPasted((e.currentTarget as HTMLInputElement).value)} />
              <div class="field check">
                <input id="remember" type="checkbox" checked={rememberPasted} onChange={(e) => setRememberPasted((e.currentTarget as HTMLInputElement).checked)} />
                <label for="remember">{t("remember")}</label>
              </div>
              <button type="submit">{t("token_use")}</button>
            </form>
          </section>
        )}
        <form
          class="panel"
          aria-labelledby="args-title"
          onSubmit={(e) => {
            e.preventDefault();
            void write("PATCH", { args }, t("saved"));
          }}
        >
          <h2 id="args-title">{t("quick_edit")}</h2>
          <ArgsForm args={args} onChange={setArgs} idPrefix="arg" empty="no_arguments_here" />
          <button type="submit" class="primary" disabled={!token}>
            {t("save")}
          </button>
          <span class="status" role="status">
            {status}
          </span>
          {error && <ErrorText error={error} />}
        </form>
        <details class="panel">
          <summary>{t("edit_template")}</summary>
          <label for="template-text">{t("template")}</label>
          <textarea id="template-text" class="mono" rows={12} value={template} onInput={(e) => setTemplate((e.currentTarget as HTMLTextAreaElement).value)} />
          <button type="button" disabled={!token} onClick={() => void write("PATCH", { template }, t("saved"))}>
            {t("save_template")}
          </button>
        </details>
        <section class="panel" aria-labelledby="lifetime-title">
          <h2 id="lifetime-title">{t("extend_to")}</h2>
          <label for="lifetime">{t("lifetime")}</label>{" "}
          <select id="lifetime" value={lifetime} onChange={(e) => setLifetime((e.currentTarget as HTMLSelectElement).value)}>
            {info.lifetimes.map((choice) => (
              <option key={String(choice.value)} value={String(choice.value)}>
                {choice.label}
              </option>
            ))}
          </select>{" "}
          <button type="button" disabled={!token} onClick={() => void write("PATCH", { expire: lifetime === "never" ? "never" : Number(lifetime) }, t("saved"))}>
            {t("extend")}
          </button>
        </section>
        {token && <HooksPanel id={id} token={token} />}
        <section class="panel danger" aria-labelledby="delete-title">
          <h2 id="delete-title">{t("delete")}</h2>
          {!confirming ? (
            <button type="button" class="danger" disabled={!token} onClick={() => setConfirming(true)}>
              {t("delete")}
            </button>
          ) : (
            <div role="alertdialog" aria-labelledby="delete-confirm" class="confirm">
              <p id="delete-confirm">{t("delete_confirm")}</p>
              <button
                type="button"
                class="danger"
                onClick={async () => {
                  if (await write("DELETE", undefined, t("deleted"))) {
                    forgetToken(id);
                    setDeleted(true);
                  }
                  setConfirming(false);
                }}
              >
                {t("delete_yes")}
              </button>{" "}
              <button type="button" onClick={() => setConfirming(false)}>
                {t("cancel")}
              </button>
            </div>
          )}
        </section>
      </div>
    </div>
  );
}

languageSwitch();
const app = document.getElementById("app")!;
app.textContent = "";
render(<SessionPage />, app);
