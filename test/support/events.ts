/** A test-side text/event-stream reader, parsing as the HTML standard's EventSource does. */
import { conditions } from "./conditions.js";

export interface ServerSentEvent {
  event: string;
  data: string;
  /** The last event id in force when the event was dispatched (as EventSource's lastEventId). */
  id: string;
}

export interface EventReader {
  events: ServerSentEvent[];
  /** Comment lines received (keep-alives). */
  comments: number;
  /** Every `retry:` value received, in order. */
  retries: number[];
  /** Resolves with the next event, rejects after `timeoutMs` or when the stream ends first. */
  next(timeoutMs?: number): Promise<ServerSentEvent>;
  /** Resolves once `ready()` holds (checked after every chunk). */
  until(ready: () => boolean, timeoutMs?: number, what?: string): Promise<void>;
  /** Resolves when the server has ended the response. */
  ended(timeoutMs?: number): Promise<void>;
  readonly finished: boolean;
  close(): void;
}

export function readEvents(response: Response): EventReader {
  if (!/^text\/event-stream/.test(response.headers.get("content-type") ?? "") || !response.body) {
    throw new Error(`not an event stream: ${response.status} ${response.headers.get("content-type")}`);
  }
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  const events: ServerSentEvent[] = [];
  const retries: number[] = [];
  let comments = 0;
  let buffer = "";
  let finished = false;
  let consumed = 0;
  let lastId = "";
  let type = "";
  let data: string[] = [];
  const { wake, until: waitUntil } = conditions();

  function line(text: string) {
    if (text === "") {
      if (data.length > 0) events.push({ event: type || "message", data: data.join("\n"), id: lastId });
      type = "";
      data = [];
      return;
    }
    if (text.startsWith(":")) {
      comments++;
      return;
    }
    const colon = text.indexOf(":");
    const field = colon < 0 ? text : text.slice(0, colon);
    let value = colon < 0 ? "" : text.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "event") type = value;
    else if (field === "data") data.push(value);
    else if (field === "id" && !value.includes("\0")) lastId = value;
    else if (field === "retry" && /^\d+$/.test(value)) retries.push(Number(value));
  }

  void (async () => {
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        buffer += decoder.decode(value, { stream: true });
        for (;;) {
          const end = buffer.search(/\r\n|\r|\n/);
          if (end < 0) break;
          const crlf = buffer.startsWith("\r\n", end);
          line(buffer.slice(0, end));
          buffer = buffer.slice(end + (crlf ? 2 : 1));
        }
        wake();
      }
    } catch {
      // cancelled by close()
    }
    finished = true;
    wake();
  })();

  const until = (ready: () => boolean, timeoutMs = 5_000, what = "the condition") =>
    waitUntil(ready, timeoutMs, () => `${what}; events: ${JSON.stringify(events)}`);

  return {
    events,
    retries,
    get comments() {
      return comments;
    },
    get finished() {
      return finished;
    },
    until,
    async next(timeoutMs = 5_000) {
      await until(() => events.length > consumed || finished, timeoutMs, "an event");
      if (events.length <= consumed) throw new Error("the event stream ended");
      return events[consumed++]!;
    },
    async ended(timeoutMs = 5_000) {
      await until(() => finished, timeoutMs, "the end of the event stream");
    },
    close() {
      reader.cancel().catch(() => {});
    },
  };
}
