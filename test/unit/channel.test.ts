import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { Frame, Viewer } from "../../handlers/streaming/channel.js";
import { Hub } from "../../handlers/streaming/hub.js";
import { MemoryStore } from "../../runtime/stores/memory.js";

class RecordingViewer implements Viewer {
  frames: number[] = [];
  ended = false;
  deliver(frame: Frame) {
    this.frames.push(frame.version);
  }
  end() {
    this.ended = true;
  }
}

describe("keep-alive timers", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("are shared per channel and interval, not one per viewer", async () => {
    const store = new MemoryStore();
    const hub = new Hub(store, { onError: (error) => { throw error; } });
    const baseline = vi.getTimerCount();
    const viewers = Array.from({ length: 1000 }, () => new RecordingViewer());
    const channel = await hub.join("s", viewers[0]!, 25_000);
    for (const viewer of viewers.slice(1)) await hub.join("s", viewer, 25_000);
    const odd = new RecordingViewer();
    await hub.join("s", odd, 5_000);
    hub.offer(channel, 1, "<svg/>", Date.now() + 3_600_000);
    // one keep-alive timer per interval (2) and one expiry timer for the channel
    expect(vi.getTimerCount() - baseline).toBe(3);
    for (const viewer of [...viewers, odd]) viewer.frames.length = 0;

    vi.advanceTimersByTime(25_000);
    expect(viewers.every((viewer) => viewer.frames.length === 1)).toBe(true);
    expect(odd.frames.length).toBe(5);

    for (const viewer of [...viewers, odd]) hub.leave(channel, viewer);
    expect(vi.getTimerCount() - baseline).toBe(0);
    expect(hub.channelCount).toBe(0);
    await store.close();
  });
});

describe("the hub", () => {
  it("ignores a frame older than the one it has", async () => {
    const hub = new Hub(new MemoryStore(), { onError: () => {} });
    const viewer = new RecordingViewer();
    const channel = await hub.join("s", viewer, 25_000);
    hub.offer(channel, 3, "<svg>3</svg>", Date.now() + 60_000);
    hub.offer(channel, 2, "<svg>2</svg>", Date.now() + 60_000);
    hub.offer(channel, 4, "<svg>4</svg>", Date.now() + 60_000);
    expect(viewer.frames).toEqual([3, 4]);
    hub.endAll();
    expect(viewer.ended).toBe(true);
    expect(hub.viewerCount).toBe(0);
  });
});
