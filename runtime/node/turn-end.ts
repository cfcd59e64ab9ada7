/**
 * The end of an event-loop turn on Node — setImmediate, once the turn's I/O callbacks have run —
 * in two steps: first what the turn made to send (the answers to writes, new streams' heads and
 * first frames), then the work deferred behind it (the hub's local fan-out and its slices,
 * AppOptions.defer). A busy replica reads many requests per turn; sent one by one, each send
 * woke the client's process again (on one machine, an interrupt to another CPU per answer:
 * about a tenth of a write's CPU in `npm run bench`), where sent together the first wakes it and
 * the rest find it awake. Sends go before the deferred work, so a write is answered before its
 * frame is fanned out, as without the batching. What either step adds while it runs waits for
 * the next turn: a fan-out still yields to the event loop between slices.
 */
type Task = () => void;

let sends: Task[] = [];
let deferred: Task[] = [];
let scheduled = false;

function run(tasks: Task[]): void {
  for (const task of tasks) {
    try {
      task();
    } catch (error) {
      // As a throwing setImmediate callback would: the process's uncaught-exception handling, after the rest ran.
      queueMicrotask(() => {
        throw error;
      });
    }
  }
}

function endTurn(): void {
  scheduled = false;
  const toSend = sends;
  const toRun = deferred;
  sends = [];
  deferred = [];
  run(toSend);
  run(toRun);
}

function schedule(): void {
  if (scheduled) return;
  scheduled = true;
  setImmediate(endTurn);
}

/** Runs `task` at the end of this turn, before any deferred work. */
export function sendAtTurnEnd(task: Task): void {
  sends.push(task);
  schedule();
}

/** A writable stream that can be held corked: a socket. */
interface Corkable {
  readonly writableCorked: number;
  cork(): void;
  uncork(): void;
}

/**
 * Corks `stream` until the end of this turn, so what the turn writes to it leaves in one write
 * with the turn's other sends. A stream corked already is left as it is: corked by this earlier
 * in the turn, or by Node's own write to a response (undone in the next tick).
 */
export function holdUntilTurnEnd(stream: Corkable): void {
  if (stream.writableCorked > 0) return;
  stream.cork();
  sendAtTurnEnd(() => stream.uncork());
}

/** Runs `task` at the end of this turn, after its sends (the Node host's AppOptions.defer). */
export function deferToTurnEnd(task: Task): void {
  deferred.push(task);
  schedule();
}
