import type { IRequest } from "itty-router";
import { baseUrl, loadSession, type AppContext } from "../context.js";
import { parseSessionId } from "../sessions/ids.js";

const escapeHtml = (text: string) =>
  text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * GET /session/:id: a small page where a person sees the live image and copies the snippet
 * to embed it. Browsers that navigate to a stream URL are sent here. The image is the
 * <realtime-svg> element (/embed.js), which reconnects, beside an indicator of its state.
 */
export async function viewerPage(request: IRequest, ctx: AppContext): Promise<Response> {
  const id = parseSessionId(request.params.id);
  await loadSession(ctx, id);
  const base = baseUrl(ctx, request);
  const stream = `${base}/stream/${id}`;
  const snapshot = `${base}/svg/${id}`;
  const snippets = [
    ["HTML (live)", `<img src="${stream}" alt="${id}">`],
    ["HTML with script (live, reconnects)", `<script type="module" src="${base}/embed.js"></script>\n<realtime-svg session="${id}"></realtime-svg>`],
    ["Markdown (live where streams are allowed)", `![${id}](${stream})`],
    ["Markdown for GitHub (a fresh snapshot per view)", `![${id}](${snapshot})`],
  ];
  const nonce = btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(16))));
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>${escapeHtml(id)} · realtime-svg</title>
<style>
body{font:15px/1.5 system-ui,sans-serif;margin:2rem auto;max-width:52rem;padding:0 1rem;color:#222}
.live{border:1px dashed #bbb;padding:1rem;display:inline-block;background:#fafafa}
textarea{width:100%;font:13px ui-monospace,monospace;height:3.2em;resize:none}
button{margin:.2rem 0 1rem}
#state{display:block;font-size:13px;color:#666;margin-top:.4rem}
#state::before{content:"";display:inline-block;width:.6em;height:.6em;border-radius:50%;background:#bbb;margin-right:.4em}
#state[data-state=live]::before{background:#16a34a}
#state[data-state=reconnecting]::before{background:#d97706}
#state[data-state=ended]::before{background:#dc2626}
</style></head><body>
<h1>${escapeHtml(id)}</h1>
<div class="live"><realtime-svg id="live" session="${escapeHtml(id)}" alt="live image of ${escapeHtml(id)}"></realtime-svg>
<noscript><img src="/stream/${escapeHtml(id)}" alt="live image of ${escapeHtml(id)}"></noscript>
<span id="state" data-state="connecting" role="status">connecting…</span></div>
${snippets
  .map(
    ([label, code], i) =>
      `<h2>${escapeHtml(label!)}</h2><textarea id="s${i}" readonly>${escapeHtml(code!)}</textarea>` +
      `<br><button data-copy="s${i}">Copy</button>`,
  )
  .join("\n")}
<script nonce="${nonce}">
for (const b of document.querySelectorAll("button[data-copy]"))
  b.onclick = () => navigator.clipboard.writeText(document.getElementById(b.dataset.copy).value);
const live = document.getElementById("live"), label = document.getElementById("state");
const words = { connecting: "connecting…", live: "live", reconnecting: "reconnecting…", ended: "ended: the session was deleted or expired" };
live.addEventListener("statechange", () => {
  label.dataset.state = live.state;
  label.textContent = words[live.state] || live.state;
});
</script>
<script type="module" src="/embed.js" nonce="${nonce}"></script>
</body></html>`;
  return new Response(html, {
    headers: {
      "Content-Type": "text/html; charset=utf-8",
      "Cache-Control": "no-store",
      // The element shows frames as blob: images and reads them over an EventSource (connect-src).
      "Content-Security-Policy": `default-src 'none'; img-src 'self' blob:; style-src 'unsafe-inline'; script-src 'nonce-${nonce}'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`,
      "X-Content-Type-Options": "nosniff",
      "Referrer-Policy": "no-referrer",
    },
  });
}
