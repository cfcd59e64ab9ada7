/** Small pieces the studio and the session page share. */
import type { Lifetime } from "../../handlers/sessions/lifetime.js";
import { t, type ApiError } from "./common.js";

/** The server facts the page data carries (handlers/pages/routes.ts serverInfo). */
export interface ServerInfo {
  lifetimes: { value: Lifetime; label: string }[];
  defaultExpire: Lifetime;
  apiKeyRequired: boolean;
  maxTemplateBytes: number;
  maxArgsBytes: number;
  missingFonts: string[];
}

/** An API error as the person reads it: the message, the code, and where in the template. */
export function ErrorText({ error }: { error: ApiError }) {
  return (
    <div class="problem" role="alert">
      <strong>{t("error")}</strong>{" "}
      {error.line !== undefined && error.column !== undefined && <span class="where">{t("error_at", { line: error.line, column: error.column })}: </span>}
      {error.error} <code>{error.code}</code>
    </div>
  );
}
