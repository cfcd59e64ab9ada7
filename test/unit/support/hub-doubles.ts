/** Test doubles for the hub's unit tests: a viewer that records, a broker that delivers only what a test hands it. */
import type { Broker, BrokerListener } from "../../../handlers/ports/broker.js";
import type { SessionRecord } from "../../../handlers/sessions/record.js";
import type { Part, Viewer } from "../../../handlers/streaming/channel.js";

export class RecordingViewer implements Viewer {
  frames: string[] = [];
  ended = false;
  deliver(part: Part) {
    this.frames.push(part.svg);
  }
  end() {
    this.ended = true;
  }
}

/** A broker that delivers only what a test hands it: late echoes, missed announcements, or nothing at all. */
export class ScriptedBroker implements Broker {
  private listener: BrokerListener | undefined;
  readonly subscribed = new Set<string>();
  listen(listener: BrokerListener) {
    this.listener = listener;
  }
  async subscribe(channel: string) {
    this.subscribed.add(channel);
  }
  async unsubscribe(channel: string) {
    this.subscribed.delete(channel);
  }
  async close() {}
  deliver(channel: string, payload: string) {
    this.listener?.message(channel, payload);
  }
  /** The subscriber came back after a disconnection: every channel re-reads. */
  resync() {
    this.listener?.resync();
  }
}

export const HOUR = 3_600_000;

/** A stored record of `id`, one hour from expiry; `overrides` replace any field. */
export function record(id: string, overrides: Partial<SessionRecord> = {}): SessionRecord {
  const now = Date.now();
  return {
    id,
    template: "<svg>{{ n }}</svg>",
    args: {},
    frame: "<svg>1</svg>",
    incarnation: now * 1000 + 1,
    version: 1,
    tokenHash: "ab".repeat(32),
    createdAt: now,
    updatedAt: now,
    expiresAt: now + HOUR,
    ...overrides,
  };
}
