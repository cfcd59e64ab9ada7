/**
 * The app with render assets (fonts, emoji, resvg) behind a real node:http server on 127.0.0.1.
 * The Node host (runtime/node/server.ts) does not pass assets yet; until it does, tests that need
 * html sessions or PNG frames over HTTP use this.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { getRequestListener } from "@hono/node-server";
import { createApp, type App, type CreateAppOptions } from "../../handlers/app.js";
import { nodeRenderAssets } from "../../runtime/node/assets.js";
import { memoryPorts } from "../../runtime/stores/memory.js";

export interface RenderServer {
  app: App;
  url: string;
  close(): Promise<void>;
}

export async function startRenderServer(options: CreateAppOptions = {}): Promise<RenderServer> {
  const app = createApp(memoryPorts(), { assets: nodeRenderAssets(), onError: () => undefined, ...options });
  const server: Server = createServer(getRequestListener((request) => app.fetch(request)));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    app,
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        app.shutdown();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** POST /api/session with `body`; returns the response and its JSON. */
export async function createSession(url: string, body: Record<string, unknown>) {
  const response = await fetch(`${url}/api/session`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  return { response, json: (await response.json()) as Record<string, unknown> };
}
