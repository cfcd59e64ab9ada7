import { compareFrameIds, frameIdOf, type SessionRecord } from "./record.js";

/** One session's queue: its last write, and the record the writes before it committed. */
interface Line {
  tail: Promise<unknown>;
  committed: SessionRecord | undefined;
}

/**
 * Runs the writes to one session one after another within this process, so local writers never
 * race each other's compare-and-set (writers on other replicas are handled by retries). While
 * writes are queued, the record the last of them committed is remembered: the next one starts
 * from it instead of from the older record it read before queueing, so N queued writes cost N
 * renders and N store updates.
 */
export class WriteQueue {
  private readonly lines = new Map<string, Line>();

  run<T>(id: string, work: (line: WriteLine) => Promise<T>): Promise<T> {
    let line = this.lines.get(id);
    if (!line) {
      line = { tail: Promise.resolve(), committed: undefined };
      this.lines.set(id, line);
    }
    const current = line;
    const handle: WriteLine = {
      freshest: (read) => freshest(read, current.committed),
      committed: (record) => {
        current.committed = record;
      },
    };
    const result = current.tail.then(() => work(handle));
    const tail = result.then(ignore, ignore);
    current.tail = tail;
    void tail.then(() => {
      if (current.tail === tail) this.lines.delete(id);
    });
    return result;
  }
}

export interface WriteLine {
  /** The newer of a record read before queueing and the one this queue last committed. */
  freshest(read: SessionRecord): SessionRecord;
  /** Tells the queue what a write stored. */
  committed(record: SessionRecord): void;
}

const ignore = () => {};

function freshest(read: SessionRecord, committed: SessionRecord | undefined): SessionRecord {
  if (!committed || committed.incarnation !== read.incarnation) return read;
  return compareFrameIds(frameIdOf(committed), frameIdOf(read)) > 0 ? committed : read;
}
