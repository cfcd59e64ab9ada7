/** /new — the studio: template and arguments editors, the argument form, a live preview, Create. */
import { render } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import type { Starter } from "../../handlers/pages/starters.js";
import { ArgsForm } from "./args-form.js";
import { api, CopyButton, data, languageSwitch, rememberToken, forgetToken, suggestId, t, type ApiError } from "./common.js";
import { createEditor, type Editor } from "./editor.js";
import { ErrorText, type ServerInfo } from "./parts.js";

type Args = Record<string, unknown>;

const BLANK: Pick<Starter, "kind" | "template" | "args" | "width" | "height"> = {
  kind: "svg",
  template: `<svg xmlns="http://www.w3.org/2000/svg" width="220" height="60" viewBox="0 0 220 60">
  <rect width="220" height="60" rx="10" fill="{{ color }}"/>
  <text x="110" y="38" text-anchor="middle" font-family="sans-serif" font-size="22" fill="#fff">{{ text }}</text>
</svg>`,
  args: { text: "Hello", color: "#0ea5e9" },
};

const info = data.info as ServerInfo;
const starter = (data.starter as Starter | null) ?? BLANK;
const pretty = (args: Args) => JSON.stringify(args, null, 2);
/** Errors whose position is in the template (not in the rendered frame or markup). */
const inTemplate = (error: ApiError) => error.line !== undefined && error.column !== undefined && !/^(frame|markup)_/.test(error.code);

function Studio() {
  const [template, setTemplate] = useState(starter.template);
  const [args, setArgs] = useState<Args>(starter.args);
  const [jsonProblem, setJsonProblem] = useState("");
  const [kind, setKind] = useState<"svg" | "html">(starter.kind);
  const [width, setWidth] = useState(starter.width ?? 400);
  const [height, setHeight] = useState(starter.height ?? 200);
  const [preview, setPreview] = useState<{ url?: string; error?: ApiError; busy: boolean }>({ busy: true });
  const [sessionId, setSessionId] = useState(() => suggestId(data.starter ? (data.starter as Starter).id : "image"));
  const [lifetime, setLifetime] = useState(String(info.defaultExpire));
  const [renew, setRenew] = useState(false);
  const [apiKey, setApiKey] = useState("");
  const [creating, setCreating] = useState(false);
  const [createError, setCreateError] = useState<ApiError | null>(null);
  const [created, setCreated] = useState<{ id: string; token: string } | null>(null);
  const [remember, setRemember] = useState(true);

  const templateHost = useRef<HTMLDivElement>(null);
  const argsHost = useRef<HTMLDivElement>(null);
  const templateEditor = useRef<Editor>();
  const argsEditor = useRef<Editor>();

  useEffect(() => {
    templateEditor.current = createEditor(templateHost.current!, { text: template, label: t("template"), language: "liquid", onChange: setTemplate });
    argsEditor.current = createEditor(argsHost.current!, {
      text: pretty(args),
      label: t("arguments"),
      language: "json",
      onChange(text) {
        try {
          const parsed = JSON.parse(text) as unknown;
          if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) return setJsonProblem(t("json_not_object"));
          setJsonProblem("");
          setArgs(parsed as Args);
        } catch {
          setJsonProblem(t("json_invalid"));
        }
      },
    });
    return () => {
      templateEditor.current?.view.destroy();
      argsEditor.current?.view.destroy();
    };
  }, []);

  // The preview: re-rendered by the server 300 ms after the last change, shown as a blob: image.
  useEffect(() => {
    const controller = new AbortController();
    const timer = setTimeout(async () => {
      setPreview((p) => ({ ...p, busy: true }));
      const body = { template, args, kind, ...(kind === "html" ? { width, height } : {}) };
      try {
        const response = await fetch("/api/preview", {
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify(body),
          signal: controller.signal,
        });
        if (response.ok) {
          const url = URL.createObjectURL(new Blob([await response.arrayBuffer()], { type: "image/svg+xml" }));
          setPreview((p) => {
            if (p.url) URL.revokeObjectURL(p.url);
            return { url, busy: false };
          });
          templateEditor.current?.mark(null);
        } else {
          const error = ((await response.json().catch(() => null)) as ApiError | null) ?? { code: "http", error: String(response.status) };
          if (response.status === 404 || response.status === 405) error.error = t("preview_unavailable");
          setPreview((p) => ({ ...p, error, busy: false }));
          templateEditor.current?.mark(inTemplate(error) ? { line: error.line!, column: error.column!, message: error.error } : null);
        }
      } catch (error) {
        if (!controller.signal.aborted) setPreview((p) => ({ ...p, error: { code: "network", error: (error as Error).message }, busy: false }));
      }
    }, 300);
    return () => {
      clearTimeout(timer);
      controller.abort();
    };
  }, [template, args, kind, width, height]);

  function formChanged(next: Args) {
    setArgs(next);
    setJsonProblem("");
    argsEditor.current?.set(pretty(next));
  }

  async function create(event: Event) {
    event.preventDefault();
    setCreating(true);
    setCreateError(null);
    const expire = lifetime === "never" ? "never" : Number(lifetime);
    const body = { session_id: sessionId, template, args, expire, renew, kind, ...(kind === "html" ? { width, height } : {}) };
    const result = await api<{ session_id: string; write_token: string }>("POST", "/api/session", body, info.apiKeyRequired ? apiKey : undefined);
    setCreating(false);
    if (!result.ok) return setCreateError(result.error);
    setCreated({ id: result.value.session_id, token: result.value.write_token });
    if (remember) rememberToken(result.value.session_id, result.value.write_token);
  }

  if (created) {
    const href = `/session/${encodeURIComponent(created.id)}`;
    return (
      <section class="created panel" aria-labelledby="created-title">
        <h2 id="created-title">
          {t("created")}: {created.id}
        </h2>
        <p>{t("write_token_once")}</p>
        <label for="write-token">{t("write_token")}</label>
        <div class="row">
          <input id="write-token" class="mono grow" readOnly value={created.token} onFocus={(e) => (e.currentTarget as HTMLInputElement).select()} />
          <CopyButton text={created.token} what="" name={t("copy_write_token")} />
        </div>
        <div class="field check">
          <input
            id="remember"
            type="checkbox"
            checked={remember}
            aria-describedby="remember-hint"
            onChange={(e) => {
              const on = (e.currentTarget as HTMLInputElement).checked;
              setRemember(on);
              if (on) rememberToken(created.id, created.token);
              else forgetToken(created.id);
            }}
          />
          <label for="remember">{t("remember")}</label>
        </div>
        <p id="remember-hint" class="hint">
          {t("remember_hint")}
        </p>
        <p>
          <a class="button primary" href={href}>
            {t("continue")}
          </a>
        </p>
      </section>
    );
  }

  return (
    <form class="studio-grid" onSubmit={create} noValidate>
      <div class="col">
        <div class="field">
          <span class="label" id="template-label">
            {t("template")}
          </span>
          <div ref={templateHost} class="editor" />
        </div>
        <fieldset class="inline">
          <legend>{t("kind")}</legend>
          {(["svg", "html"] as const).map((value) => (
            <span key={value} class="check">
              <input type="radio" id={`kind-${value}`} name="kind" value={value} checked={kind === value} onChange={() => setKind(value)} />
              <label for={`kind-${value}`}>{t(value === "svg" ? "kind_svg" : "kind_html")}</label>
            </span>
          ))}
          {kind === "html" && (
            <span class="row">
              <label for="width">{t("width")}</label>
              <input id="width" type="number" min={1} max={4096} value={width} onInput={(e) => setWidth((e.currentTarget as HTMLInputElement).valueAsNumber || 1)} />
              <label for="height">{t("height")}</label>
              <input id="height" type="number" min={1} max={4096} value={height} onInput={(e) => setHeight((e.currentTarget as HTMLInputElement).valueAsNumber || 1)} />
            </span>
          )}
        </fieldset>
        {data.missingFontsApply && info.missingFonts.length > 0 && <p class="note">{t("starter_card_needs")}</p>}
        <div class="field">
          <span class="label">{t("arguments_json")}</span>
          <div ref={argsHost} class="editor small" />
          {jsonProblem && (
            <p class="problem" role="alert">
              {jsonProblem}
            </p>
          )}
        </div>
      </div>
      <div class="col">
        <section class="preview panel" aria-labelledby="preview-title">
          <h2 id="preview-title">{t("preview")}</h2>
          <div class="preview-image checker">{preview.url && <img src={preview.url} alt={t("preview_alt")} />}</div>
          <p class="status" role="status">
            {preview.busy ? t("preview_rendering") : preview.error ? "" : t("preview_ok")}
          </p>
          {preview.error && !preview.busy && <ErrorText error={preview.error} />}
        </section>
        <fieldset>
          <legend>{t("arguments_form")}</legend>
          <ArgsForm args={args} onChange={formChanged} idPrefix="arg" />
        </fieldset>
        <fieldset>
          <legend>{t("nav_new")}</legend>
          <div class="field">
            <label for="session-id">{t("session_id")}</label>
            <span class="row">
              <input
                id="session-id"
                class="mono grow"
                value={sessionId}
                required
                pattern="[A-Za-z0-9][A-Za-z0-9._\-]{0,127}"
                aria-describedby="session-id-hint"
                onInput={(e) => setSessionId((e.currentTarget as HTMLInputElement).value)}
              />
              <button type="button" onClick={() => setSessionId(suggestId())}>
                {t("new_id")}
              </button>
            </span>
            <span id="session-id-hint" class="hint">
              {t("session_id_hint")}
            </span>
          </div>
          <div class="field">
            <label for="lifetime">{t("lifetime")}</label>
            <select id="lifetime" value={lifetime} onChange={(e) => setLifetime((e.currentTarget as HTMLSelectElement).value)}>
              {info.lifetimes.map((choice) => (
                <option key={String(choice.value)} value={String(choice.value)}>
                  {choice.label}
                </option>
              ))}
            </select>
          </div>
          <div class="field check">
            <input id="renew" type="checkbox" checked={renew} aria-describedby="renew-hint" onChange={(e) => setRenew((e.currentTarget as HTMLInputElement).checked)} />
            <label for="renew">{t("renew")}</label>
          </div>
          <p id="renew-hint" class="hint">
            {t("renew_hint")}
          </p>
          {info.apiKeyRequired && (
            <div class="field">
              <label for="api-key">{t("api_key")}</label>
              <input id="api-key" type="password" autoComplete="off" value={apiKey} aria-describedby="api-key-hint" onInput={(e) => setApiKey((e.currentTarget as HTMLInputElement).value)} />
              <span id="api-key-hint" class="hint">
                {t("api_key_hint")}
              </span>
            </div>
          )}
          <button type="submit" class="primary" disabled={creating}>
            {t("create")}
          </button>
          <span class="status" role="status">
            {creating ? t("creating") : ""}
          </span>
          {createError && <ErrorText error={createError} />}
        </fieldset>
      </div>
    </form>
  );
}

languageSwitch();
render(<Studio />, document.getElementById("app")!);
