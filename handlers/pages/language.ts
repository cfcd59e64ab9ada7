import { LANGUAGES, type Language } from "./messages.js";

/** The cookie the language switch sets (ui/src/common.tsx); it wins over Accept-Language. */
export const LANGUAGE_COOKIE = "rsvg_lang";

const isLanguage = (value: string | undefined): value is Language => value !== undefined && Object.hasOwn(LANGUAGES, value);

/** The page's language: the switch's cookie, else the best of Accept-Language, else English. */
export function chooseLanguage(request: Request): Language {
  const cookie = request.headers.get("cookie") ?? "";
  for (const part of cookie.split(";")) {
    const [name, value] = part.trim().split("=");
    if (name === LANGUAGE_COOKIE && isLanguage(value)) return value;
  }
  const ranked = (request.headers.get("accept-language") ?? "")
    .split(",")
    .map((entry, index) => {
      const [tag = "", ...params] = entry.trim().toLowerCase().split(";");
      const q = params.map((p) => p.trim()).find((p) => p.startsWith("q="));
      const weight = q === undefined ? 1 : Number(q.slice(2));
      return { primary: tag.split("-")[0], weight: Number.isFinite(weight) ? weight : 0, index };
    })
    .filter((entry) => entry.weight > 0)
    .sort((a, b) => b.weight - a.weight || a.index - b.index);
  for (const entry of ranked) if (isLanguage(entry.primary)) return entry.primary;
  return "en";
}
