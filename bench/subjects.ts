/**
 * How each server under test is written to: the real server through its session API (PATCH
 * /api/session/ID renders the badge template), the bare broadcaster through POST /publish with
 * the same frame already rendered. One keep-alive connection each, so an update's round trip is
 * not a TCP handshake.
 */
import { randomBytes } from "node:crypto";
import http from "node:http";
import { BADGE_TEMPLATE, badgeArgs, badgeLiteral } from "./badge.js";
import { hrMs } from "./clock.js";
import type { Server } from "./processes.js";

export interface Subject {
  server: Server;
  streamUrl: string;
  firstMarker: string;
  /** Sends an update whose frame carries `marker`; resolves with when it was sent and answered (bench/clock.ts). */
  update(marker: string): Promise<{ sentAt: number; answeredAt: number }>;
  /** The frame the server serves now, when it can tell (checks both send the same SVG). */
  served(): Promise<string | null>;
  close(): void;
}

function client(baseUrl: string) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const request = (method: string, path: string, body?: unknown, token?: string) =>
    new Promise<{ status: number; body: string; sentAt: number; answeredAt: number }>((resolve, reject) => {
      const payload = body === undefined ? "" : JSON.stringify(body);
      const headers: http.OutgoingHttpHeaders = body === undefined ? {} : { "Content-Type": "application/json" };
      if (token) headers["Authorization"] = `Bearer ${token}`;
      const req = http.request(`${baseUrl}${path}`, { method, headers, agent }, (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => (text += chunk));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text, sentAt, answeredAt: hrMs() }));
        res.on("error", reject);
      });
      req.setTimeout(30_000, () => req.destroy(new Error(`${method} ${path} timed out`)));
      req.on("error", reject);
      const sentAt = hrMs();
      req.end(payload);
    });
  return { request, close: () => agent.destroy() };
}

function expect(response: { status: number; body: string }, status: number, what: string): void {
  if (response.status !== status) throw new Error(`${what}: ${response.status} ${response.body}`);
}

export async function oursSubject(server: Server): Promise<Subject> {
  const api = client(server.url);
  const id = `bench-${randomBytes(4).toString("hex")}`;
  const firstMarker = `mk${id}start`;
  const created = await api.request("POST", "/api/session", { session_id: id, template: BADGE_TEMPLATE, args: badgeArgs(firstMarker) });
  expect(created, 201, "POST /api/session");
  const token = (JSON.parse(created.body) as { write_token: string }).write_token;
  return {
    server,
    // The longest keep-alive allowed, so no keep-alive resend lands inside the figures.
    streamUrl: `${server.url}/stream/${id}?keep_alive=300000`,
    firstMarker,
    async update(marker) {
      const response = await api.request("PATCH", `/api/session/${id}`, { args: { value: marker } }, token);
      expect(response, 200, "PATCH");
      return { sentAt: response.sentAt, answeredAt: response.answeredAt };
    },
    async served() {
      const response = await api.request("GET", `/svg/${id}`);
      return response.status === 200 ? response.body : null;
    },
    close: api.close,
  };
}

export async function bareSubject(server: Server): Promise<Subject> {
  const api = client(server.url);
  const publish = async (marker: string) => {
    const response = await api.request("POST", "/publish", { frame: badgeLiteral(badgeArgs(marker)) });
    expect(response, 200, "POST /publish");
    return { sentAt: response.sentAt, answeredAt: response.answeredAt };
  };
  const firstMarker = "mkbarestart";
  await publish(firstMarker);
  return {
    server,
    streamUrl: `${server.url}/stream/bare`,
    firstMarker,
    update: publish,
    served: async () => null,
    close: api.close,
  };
}
