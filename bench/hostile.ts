/**
 * /health latency while hostile renders run, against /health on the same server idle, measured
 * in the same run. The attacks are the ones test/hostile-renders.test.ts names (F1: costly PNG
 * filters; F2: 60,000 "W" in one html text; F3: 20,000 Hangul syllables), sent one after another
 * for the whole window. The server runs with the input bounds raised, so that every attack
 * reaches the renderers and only their deadlines stop it: what is measured is whether a render
 * in progress delays the thread that answers /health.
 */
import { hrMs } from "./clock.js";
import { register, spawnBenchServer, terminate } from "./processes.js";
import { summarize, type Summary } from "./stats.js";

export interface HostileResult {
  idle: Summary;
  underAttack: Summary;
  /** Attacks answered during the window, and how many of them were not a 4xx. */
  attacks: number;
  unexpected: number;
}

const RAISED = { MAX_HTML_TEXT: "100000", MAX_PNG_FILTER_RADIUS: "1000", MAX_PNG_FILTER_PIXELS: "17179869184", PNG_TIMEOUT_MS: "1000" };
const flex = (text: string) => `<div style="display:flex;width:100%;height:100%">${text}</div>`;
const MORPHOLOGY =
  `<svg xmlns="http://www.w3.org/2000/svg" width="2048" height="2048"><defs><filter id="f"><feMorphology radius="20"/></filter></defs>` +
  `<rect width="2048" height="2048" fill="#3a6" filter="url(#f)"/></svg>`;
const HANGUL = Array.from({ length: 20_000 }, (_, i) => String.fromCodePoint(0xac00 + (i % 200))).join("");

const post = (url: string, body: unknown) =>
  fetch(`${url}/api/session`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });

/** /health every `everyMs` until `until()` is true; latencies in ms. */
async function pollHealth(url: string, everyMs: number, until: () => boolean): Promise<number[]> {
  const ms: number[] = [];
  while (!until()) {
    const started = hrMs();
    await (await fetch(`${url}/health`)).arrayBuffer();
    ms.push(hrMs() - started);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
  return ms;
}

export async function measureHostile(windowMs: number): Promise<HostileResult> {
  const server = await spawnBenchServer({ ...RAISED, SHUTDOWN_GRACE_MS: "1000" });
  const stop = register(() => terminate(server.process));
  try {
    const { url } = server;
    // Warm the render processes, so neither window pays for their start.
    await (await post(url, { session_id: "warm", template: flex("warm"), kind: "html", width: 40, height: 20 })).arrayBuffer();
    await (await fetch(`${url}/png/warm`)).arrayBuffer();
    let end = hrMs() + windowMs;
    const idle = await pollHealth(url, 20, () => hrMs() > end);

    let n = 0;
    let unexpected = 0;
    const attacks = [
      async () => {
        await (await post(url, { session_id: `f1-${n}`, template: MORPHOLOGY })).arrayBuffer();
        return fetch(`${url}/png/f1-${n}`);
      },
      () => post(url, { session_id: `f2-${n}`, template: flex("W".repeat(60_000)), kind: "html", width: 1024, height: 1024 }),
      () => post(url, { session_id: `f3-${n}`, template: flex(HANGUL), kind: "html", width: 1024, height: 1024 }),
    ];
    end = hrMs() + windowMs;
    const attacking = (async () => {
      while (hrMs() < end) {
        const response = await attacks[n % attacks.length]!();
        await response.arrayBuffer();
        if (response.status < 400 || response.status >= 500) unexpected++;
        n++;
      }
    })();
    const underAttack = await pollHealth(url, 20, () => hrMs() > end);
    await attacking;
    return { idle: summarize(idle), underAttack: summarize(underAttack), attacks: n, unexpected };
  } finally {
    await stop();
  }
}
