/** / — the front door: the language switch, and the badge re-rendered (POST /api/preview) as its text is typed. */
import { data, languageSwitch } from "./common.js";

languageSwitch();

const badge = data.badge as { template: string; args: Record<string, unknown> };
const input = document.getElementById("try-text") as HTMLInputElement | null;
const image = document.getElementById("try-image") as HTMLImageElement | null;
let timer: ReturnType<typeof setTimeout> | undefined;
let shown = "";
let controller: AbortController | undefined;

input?.addEventListener("input", () => {
  clearTimeout(timer);
  timer = setTimeout(async () => {
    controller?.abort();
    controller = new AbortController();
    const status = input.value.trim() || "…";
    const color = /fail|error|broken|실패/i.test(status) ? "#e05d44" : /run|pend|wait|진행/i.test(status) ? "#dfb317" : "#4c1";
    try {
      const response = await fetch("/api/preview", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ template: badge.template, args: { ...badge.args, status, color } }),
        signal: controller.signal,
      });
      if (!response.ok || !image) return;
      const url = URL.createObjectURL(new Blob([await response.arrayBuffer()], { type: "image/svg+xml" }));
      image.src = url;
      if (shown) URL.revokeObjectURL(shown);
      shown = url;
    } catch {
      // aborted by the next keystroke, or offline: the last picture stays
    }
  }, 300);
});
