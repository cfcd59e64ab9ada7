/**
 * The session page's Webhooks section (README "Webhooks"): the session's hooks with their recent
 * deliveries, a form that adds one (its URL and secret shown once), and removing one. Everything
 * the server answers is rendered as text, never as markup.
 */
import { useEffect, useState } from "preact/hooks";
import { api, CopyButton, formatTime, t, type ApiError } from "./common.js";
import { ErrorText } from "./parts.js";

interface Hook {
  hook_id: string;
  url: string;
  verify: string;
  events?: string[];
  mode: string;
  allow_get: boolean;
}
interface Delivery {
  at: string;
  event: string | null;
  verified: boolean;
  status: number;
  outcome: string;
  args?: Record<string, unknown>;
  error?: string;
}
interface Created {
  hook_id: string;
  url: string;
  secret: string;
}

const SCHEMES = ["github", "gitlab", "standard", "token"];
const value = (e: Event) => (e.currentTarget as HTMLInputElement).value;

export function HooksPanel({ id, token }: { id: string; token: string }) {
  const path = `/api/session/${encodeURIComponent(id)}/hooks`;
  const [hooks, setHooks] = useState<Hook[]>([]);
  const [deliveries, setDeliveries] = useState<Record<string, Delivery[]>>({});
  const [error, setError] = useState<ApiError | null>(null);
  const [scheme, setScheme] = useState("github");
  const [events, setEvents] = useState("");
  const [map, setMap] = useState("");
  const [allowGet, setAllowGet] = useState(false);
  const [created, setCreated] = useState<Created | null>(null);
  const [removing, setRemoving] = useState("");
  const [status, setStatus] = useState("");

  async function refresh() {
    const listed = await api<{ hooks: Hook[] }>("GET", path, undefined, token);
    if (!listed.ok) return setError(listed.error);
    setError(null);
    setHooks(listed.value.hooks);
    const logs: Record<string, Delivery[]> = {};
    await Promise.all(
      listed.value.hooks.map(async (hook) => {
        const log = await api<{ deliveries: Delivery[] }>("GET", `${path}/${hook.hook_id}/deliveries`, undefined, token);
        logs[hook.hook_id] = log.ok ? log.value.deliveries : [];
      }),
    );
    setDeliveries(logs);
    setStatus(t("hooks_refreshed"));
  }

  useEffect(() => void refresh(), [token]);

  async function add(e: Event) {
    e.preventDefault();
    let parsed: unknown;
    try {
      parsed = JSON.parse(map);
    } catch {
      return setError({ code: "invalid_body", error: t("hook_map_invalid") });
    }
    const list = events.split(",").map((event) => event.trim()).filter(Boolean);
    const body = { verify: scheme, map: parsed, ...(list.length && scheme !== "token" ? { events: list } : {}), ...(allowGet && scheme === "token" ? { allow_get: true } : {}) };
    const result = await api<Created>("POST", path, body, token);
    if (!result.ok) return setError(result.error);
    setCreated(result.value);
    await refresh();
  }

  async function remove(hook: string) {
    const result = await api("DELETE", `${path}/${hook}`, undefined, token);
    setRemoving("");
    if (!result.ok) return setError(result.error);
    if (created?.hook_id === hook) setCreated(null);
    await refresh();
  }

  return (
    <section class="panel" aria-labelledby="hooks-title">
      <h2 id="hooks-title">{t("hooks")}</h2>
      <p class="hint">{t("hooks_hint")}</p>
      <button type="button" onClick={() => void refresh()}>
        {t("hooks_refresh")}
      </button>{" "}
      <span class="status" role="status">
        {status}
      </span>
      {error && <ErrorText error={error} />}
      {hooks.length === 0 && <p>{t("hooks_none")}</p>}
      {hooks.map((hook) => (
        <div class="hook" key={hook.hook_id}>
          <dl class="facts">
            <dt>{t("hook_scheme")}</dt>
            <dd>{hook.verify}</dd>
            <dt>{t("hook_events")}</dt>
            <dd>{hook.events?.join(", ") || t("hook_all_events")}</dd>
            <dt>{t("hook_mode")}</dt>
            <dd>
              {hook.mode}
              {hook.allow_get ? " · GET" : ""}
            </dd>
            <dt>{t("hook_url")}</dt>
            <dd class="mono wrap">{hook.url}</dd>
          </dl>
          {(deliveries[hook.hook_id] ?? []).length === 0 ? (
            <p>{t("deliveries_none")}</p>
          ) : (
            <table class="deliveries">
              <caption>{t("deliveries")}</caption>
              <thead>
                <tr>
                  {(["delivery_time", "delivery_event", "delivery_verified", "delivery_status", "delivery_outcome"] as const).map((key) => (
                    <th scope="col" key={key}>
                      {t(key)}
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {deliveries[hook.hook_id]!.map((d, index) => (
                  <tr key={index}>
                    <td>
                      <time dateTime={d.at}>{formatTime(d.at)}</time>
                    </td>
                    <td>{d.event ?? "–"}</td>
                    <td>{t(d.verified ? "yes" : "no")}</td>
                    <td>{d.status}</td>
                    <td>
                      {d.args || d.error ? (
                        <details>
                          <summary>{d.outcome}</summary>
                          <pre class="mono wrap">{d.error ?? JSON.stringify(d.args, null, 1)}</pre>
                        </details>
                      ) : (
                        d.outcome
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          {removing !== hook.hook_id ? (
            <button type="button" class="danger" onClick={() => setRemoving(hook.hook_id)}>
              {t("hook_remove")}
            </button>
          ) : (
            <div role="alertdialog" aria-labelledby="hook-remove-confirm" class="confirm">
              <p id="hook-remove-confirm">{t("hook_remove_confirm")}</p>
              <button type="button" class="danger" onClick={() => void remove(hook.hook_id)}>
                {t("hook_remove_yes")}
              </button>{" "}
              <button type="button" onClick={() => setRemoving("")}>
                {t("hook_keep")}
              </button>
            </div>
          )}
        </div>
      ))}
      <form onSubmit={(e) => void add(e)}>
        <h3>{t("hook_add")}</h3>
        <label for="hook-scheme">{t("hook_scheme")}</label>{" "}
        <select id="hook-scheme" value={scheme} onChange={(e) => setScheme(value(e))}>
          {SCHEMES.map((s) => (
            <option key={s} value={s}>
              {s}
            </option>
          ))}
        </select>
        <label for="hook-events">{t("hook_events_field")}</label>
        <input id="hook-events" disabled={scheme === "token"} value={events} onInput={(e) => setEvents(value(e))} />
        <label for="hook-map">{t("hook_map")}</label>
        <textarea id="hook-map" class="mono" rows={3} placeholder={'{"status": "{{ status }}"}'} value={map} onInput={(e) => setMap(value(e))} />
        <div class="field check">
          <input id="hook-get" type="checkbox" disabled={scheme !== "token"} checked={allowGet} onChange={(e) => setAllowGet((e.currentTarget as HTMLInputElement).checked)} />
          <label for="hook-get">{t("hook_allow_get")}</label>
        </div>
        <button type="submit">{t("hook_add")}</button>
      </form>
      {created && (
        <div class="created" role="region" aria-label={t("hook_created")}>
          <p>{t("hook_created_once")}</p>
          <label for="hook-new-url">{t("hook_url")}</label>
          <input id="hook-new-url" class="mono" readOnly value={created.url} />
          <CopyButton text={created.url} what="" name={t("hook_copy_url")} />
          <label for="hook-new-secret">{t("hook_secret")}</label>
          <input id="hook-new-secret" class="mono" readOnly value={created.secret} />
          <CopyButton text={created.secret} what="" name={t("hook_copy_secret")} />
        </div>
      )}
    </section>
  );
}
