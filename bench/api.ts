/** The write side of the benchmark: the session API (or any JSON endpoint) over one keep-alive connection. */
import http from "node:http";

export interface ApiResponse {
  status: number;
  body: string;
  /** When the request was handed to the socket and when the body had arrived, on the client's clock. */
  sentAt: number;
  doneAt: number;
}

export class ApiClient {
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

  constructor(
    private readonly baseUrl: string,
    private readonly now: () => number = () => performance.now(),
  ) {}

  request(method: string, path: string, body: unknown, token?: string): Promise<ApiResponse> {
    const payload = body === undefined ? "" : JSON.stringify(body);
    const headers: http.OutgoingHttpHeaders =
      body === undefined ? {} : { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(payload) };
    if (token) headers["Authorization"] = `Bearer ${token}`;
    return new Promise<ApiResponse>((resolve, reject) => {
      const request = http.request(`${this.baseUrl}${path}`, { method, headers, agent: this.agent }, (response) => {
        let text = "";
        response.setEncoding("utf8");
        response.on("data", (chunk: string) => (text += chunk));
        response.on("end", () =>
          resolve({ status: response.statusCode ?? 0, body: text, sentAt, doneAt: this.now() }),
        );
        response.on("error", reject);
      });
      request.setTimeout(10_000, () => request.destroy(new Error(`${method} ${path} timed out`)));
      request.on("error", reject);
      const sentAt = this.now();
      request.end(payload);
    });
  }

  /** POST /api/session; resolves with the write token. */
  async createSession(sessionId: string, template: string, args: Record<string, unknown>): Promise<string> {
    const response = await this.request("POST", "/api/session", { session_id: sessionId, template, args });
    if (response.status !== 201) throw new Error(`POST /api/session: ${response.status} ${response.body}`);
    return (JSON.parse(response.body) as { write_token: string }).write_token;
  }

  /** PATCH /api/session/ID; rejects unless 200. */
  async patch(sessionId: string, args: Record<string, unknown>, token: string): Promise<ApiResponse> {
    const response = await this.request("PATCH", `/api/session/${sessionId}`, { args }, token);
    if (response.status !== 200) throw new Error(`PATCH: ${response.status} ${response.body}`);
    return response;
  }

  close(): void {
    this.agent.destroy();
  }
}
