import { SizedLru } from "../sized-lru.js";
import { compareFrameIds, frameIdOf, type SessionRecord } from "./record.js";

/** One session's writers in this process: how many are in flight, the last queued, and what they committed. */
interface Line {
  writers: number;
  /** Settles once the last queued work has; undefined while no work was queued. */
  tail: Promise<unknown> | undefined;
  committed: SessionRecord | undefined;
}

export interface WriteLine {
  /** The newer of a record read before queueing and the one this session's writers last committed. */
  freshest(read: SessionRecord): SessionRecord;
  /** Tells the line what a write stored. */
  committed(record: SessionRecord): void;
}

/**
 * Runs the writes to one session one after another within this process, so local writers never
 * race each other's compare-and-set (writers on other replicas are handled by retries). A writer
 * joins its session's line before it reads the record, so while any writer is in flight the line
 * remembers what the last one committed: the next starts from that instead of from the older
 * record it read, and N concurrent writes cost N renders and N store updates. Preparing (reading,
 * authorizing, parsing the body) runs concurrently; only the work after it is serialized, so a
 * slow upload never holds up the session's other writers.
 *
 * Past its line, what a session's writers last committed stays known within WRITE_CACHE_BYTES
 * (least recently written dropped first), so the next write to it starts from that record instead
 * of reading the store: a record changed, re-created or removed elsewhere since fails the
 * write's compare-and-set, which then reads the store (write.ts), and a token the known record
 * does not grant is checked against the store's record before it is refused (authorized.ts).
 */
export class WriteQueue {
  private readonly lines = new Map<string, Line>();
  private readonly recent: SizedLru<string, SessionRecord>;

  constructor(cacheBytes: number) {
    this.recent = new SizedLru(cacheBytes);
  }

  /** The newest record this process's writers committed to the session, if it still knows it. */
  known(id: string): SessionRecord | undefined {
    return this.lines.get(id)?.committed ?? this.recent.get(id);
  }

  /** Drops what is known of the session (it changed elsewhere, or is gone). */
  forget(id: string): void {
    this.recent.delete(id);
  }

  /** Tells the queue what a write outside any line (a create) stored. */
  stored(record: SessionRecord): void {
    this.recent.set(record.id, record, recordBytes(record));
  }

  async run<P, T>(id: string, prepare: () => Promise<P>, work: (prepared: P, line: WriteLine) => Promise<T>): Promise<T> {
    let line = this.lines.get(id);
    if (!line) {
      line = { writers: 0, tail: undefined, committed: undefined };
      this.lines.set(id, line);
    }
    line.writers++;
    const current = line;
    try {
      const prepared = await prepare();
      const handle: WriteLine = {
        freshest: (read) => freshest(read, current.committed),
        committed: (record) => {
          current.committed = record;
          this.stored(record);
        },
      };
      // The first work in a line starts at once, not a turn of the microtask queue later.
      const result = current.tail === undefined ? work(prepared, handle) : current.tail.then(() => work(prepared, handle));
      current.tail = result.then(ignore, ignore);
      return await result;
    } finally {
      if (--current.writers === 0 && this.lines.get(id) === current) this.lines.delete(id);
    }
  }
}

const ignore = () => {};

/** What a known record is counted as against WRITE_CACHE_BYTES: its strings at two bytes a character, plus its fields. */
function recordBytes(record: SessionRecord): number {
  return 2 * (record.frame.length + record.template.length + JSON.stringify(record.args).length) + 512;
}

function freshest(read: SessionRecord, committed: SessionRecord | undefined): SessionRecord {
  if (!committed || committed.incarnation !== read.incarnation) return read;
  return compareFrameIds(frameIdOf(committed), frameIdOf(read)) > 0 ? committed : read;
}
