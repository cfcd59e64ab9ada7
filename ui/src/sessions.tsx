/**
 * /sessions — My images: every session whose write token this browser remembers (localStorage,
 * common.tsx TOKENS_KEY), with a live thumbnail, its last update, Forget, and export/import of
 * the tokens as a JSON file.
 */
import { render } from "preact";
import { useEffect, useState } from "preact/hooks";
import { api, forgetToken, formatTime, importTokens, languageSwitch, rememberedTokens, t, TOKENS_KEY } from "./common.js";

interface Row {
  id: string;
  /** undefined: not read yet; null: the session is gone. */
  updated?: string | null;
}

function MyImages() {
  const [tokens, setTokens] = useState(rememberedTokens);
  const [rows, setRows] = useState<Record<string, Row>>({});
  const [message, setMessage] = useState("");
  const ids = Object.keys(tokens).sort();

  useEffect(() => {
    for (const id of ids) {
      if (rows[id]) continue;
      void api<{ updated_at: string }>("GET", `/api/session/${encodeURIComponent(id)}`).then((result) =>
        setRows((current) => ({ ...current, [id]: { id, updated: result.ok ? result.value.updated_at : result.status === 404 ? null : undefined } })),
      );
    }
  }, [tokens]);

  function exportTokens() {
    const blob = new Blob([localStorage.getItem(TOKENS_KEY) ?? JSON.stringify({ version: 1, sessions: {} })], { type: "application/json" });
    const link = document.createElement("a");
    link.href = URL.createObjectURL(blob);
    link.download = "realtime-svg-tokens.json";
    link.click();
    setTimeout(() => URL.revokeObjectURL(link.href), 1000);
  }

  async function importFile(file: File | undefined) {
    if (!file) return;
    let count: number;
    try {
      count = importTokens(await file.text());
    } catch {
      count = 0;
    }
    setMessage(count > 0 ? t("imported", { count }) : t("import_failed"));
    setTokens(rememberedTokens());
  }

  return (
    <>
      {ids.length === 0 ? (
        <p class="empty">
          {t("sessions_empty")} <a href="/new">{t("nav_new")}</a>
        </p>
      ) : (
        <ul class="session-list">
          {ids.map((id) => {
            const row = rows[id];
            return (
              <li key={id} class="session-item">
                <a class="thumb checker" href={`/session/${encodeURIComponent(id)}`} aria-label={`${t("open")} ${id}`}>
                  <realtime-svg session={id} alt={t("live_image", { id })} />
                </a>
                <div class="grow">
                  <a href={`/session/${encodeURIComponent(id)}`}>
                    <strong>{id}</strong>
                  </a>
                  <p class="hint">
                    {t("updated")}: {row?.updated === null ? t("missing") : row?.updated ? formatTime(row.updated) : "…"}
                  </p>
                </div>
                <button
                  type="button"
                  aria-label={t("forget_hint", { id })}
                  onClick={() => {
                    forgetToken(id);
                    setTokens(rememberedTokens());
                  }}
                >
                  {t("forget")}
                </button>
              </li>
            );
          })}
        </ul>
      )}
      <div class="row tools">
        <button type="button" onClick={exportTokens} disabled={ids.length === 0}>
          {t("export")}
        </button>
        <label class="button" for="import-file">
          {t("import")}
        </label>
        <input id="import-file" class="visually-hidden" type="file" accept="application/json,.json" onChange={(e) => void importFile((e.currentTarget as HTMLInputElement).files?.[0])} />
        <span role="status">{message}</span>
      </div>
    </>
  );
}

languageSwitch();
render(<MyImages />, document.getElementById("app")!);
