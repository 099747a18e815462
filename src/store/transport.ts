/**
 * Requests to a shared backend: each answered within `timeout` or counted as failed, the store
 * up or down, and a hard bound on what is queued however long the backend hangs.
 *
 * A request the store stopped waiting for cannot be taken back from the client: it stays queued
 * until the backend answers. So the bound is on what is *sent*: per breaker at most one request
 * of each kind (read, write, lease) is outstanding, cleared when the backend answers, not at the
 * timeout; and while the store is down nothing is sent but one probe at a time for the whole
 * store. Whatever the length of a hang, at most 3 requests per breaker plus one probe are queued.
 */
import { TimeoutError } from '../breaker/errors.js';

/** The timers the store runs on; tests and the simulation drive their own. */
export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  setInterval(fn: () => void, ms: number): unknown;
  clearInterval(handle: unknown): void;
}

export const realTimers: Timers = {
  setTimeout(fn, ms) {
    const handle = setTimeout(fn, ms);
    // Unlike a guarded call's, a store's timer must not keep a process alive that is otherwise done.
    handle.unref?.();
    return handle;
  },
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
  setInterval(fn, ms) {
    const handle = setInterval(fn, ms);
    handle.unref?.();
    return handle;
  },
  clearInterval: (handle) => clearInterval(handle as ReturnType<typeof setInterval>),
};

/** The kinds of request a breaker makes; one of each may be outstanding. */
export type Slot = 'read' | 'write' | 'lease';

/** One breaker's outstanding requests, by the number they were sent under (0: none). */
export type Lane = Record<Slot, number>;

export const freeLane = (): Lane => ({ read: 0, write: 0, lease: 0 });

/** An answer that came in time, or why there is none. */
export type Outcome<T> = { readonly ok: true; readonly value: T } | { readonly ok: false };

export interface Transport {
  /** Whether requests go out: false from a failed request until one is answered. */
  readonly connected: boolean;
  /** Whether the store is away as announced: from `down` until the matching `up`. */
  readonly away: boolean;
  /**
   * Sends `call` on `lane`'s `slot`, unless one is outstanding there or the store is down (then
   * only a `probe` goes, one at a time for the store, on a slot of its own). Undefined when nothing was sent; otherwise settles with
   * the answer, or without one at the timeout or a failure.
   */
  send<T>(lane: Lane, slot: Slot, operation: string, call: () => Promise<T>, probe?: boolean): Promise<Outcome<T>> | undefined;
  /**
   * Announces a return that was only provisional (reads answered after a write failed) when
   * nothing has failed since: called once a sync's earlier requests have settled.
   */
  confirm(): void;
  /** Settles when every request sent so far was answered or given up on. */
  idle(): Promise<void>;
  /** Requests sent and not answered, even those given up on. */
  readonly outstanding: number;
}

interface Sent {
  readonly lane: Lane;
  readonly slot: Slot;
  gaveUp: boolean;
}

export function createTransport(
  timeout: number,
  timers: Timers,
  events: { down(error: unknown, operation: string): void; up(): void },
): Transport {
  let connected = true;
  /** True from an announced `down` until the matching `up`. */
  let announced = false;
  /** Whether the announced outage began with a write that failed. */
  let downOnWrite = false;
  let seq = 0;
  let probing = 0;
  let gaveUp = 0;
  const sent = new Map<number, Sent>();
  const waiting = new Set<Promise<unknown>>();

  const release = (id: number): void => {
    const request = sent.get(id);
    if (request === undefined) return;
    sent.delete(id);
    if (request.gaveUp) gaveUp -= 1;
    if (request.lane[request.slot] === id) request.lane[request.slot] = 0;
    if (probing === id) probing = 0;
  };

  /**
   * A backend answers one connection in order: once a later request is answered, an earlier one
   * given up on will never be (a client that lost it). Its slot is freed, or it would be held forever.
   */
  const answered = (id: number): void => {
    release(id);
    if (gaveUp === 0) return;
    for (const [other, request] of sent) {
      if (other > id) break;
      if (request.gaveUp) release(other);
    }
  };

  const send = <T>(lane: Lane, slot: Slot, operation: string, call: () => Promise<T>, probe = false): Promise<Outcome<T>> | undefined => {
    // Away, a probe goes on the store's own slot, not the breaker's: a request lost for good (no
    // answer, no error) holds its breaker's slot, and a probe waiting for that slot would never go,
    // leaving the store away forever. The probe's answer frees the lost one (see `answered`).
    // Up, a read whose slot is held by a request given up on goes on that slot too: a breaker whose
    // only request was lost would otherwise never be answered again, and nothing would free it.
    const held = lane[slot];
    const stuck = connected && slot === 'read' && held !== 0 && sent.get(held)?.gaveUp === true;
    const probing_ = !connected || stuck;
    if (probing_ ? (!connected && !probe) || probing !== 0 : held !== 0) return undefined;
    const id = ++seq;
    if (probing_) probing = id;
    else lane[slot] = id;
    const request: Sent = { lane, slot, gaveUp: false };
    sent.set(id, request);
    let reply: Promise<T>;
    try {
      reply = Promise.resolve(call());
    } catch (error) {
      reply = Promise.reject(error);
    }
    const outcome = new Promise<Outcome<T>>((resolve) => {
      let done = false;
      const clock = timers.setTimeout(() => {
        if (done) return;
        done = true;
        request.gaveUp = true;
        gaveUp += 1;
        fail(new TimeoutError(`store ${operation}`, timeout), operation, slot);
        resolve({ ok: false });
      }, timeout);
      reply.then(
        (value) => {
          answered(id);
          if (!done) timers.clearTimeout(clock);
          // A late answer still says the backend is back, but its content is history.
          up(slot);
          if (done) return;
          done = true;
          resolve({ ok: true, value });
        },
        (error: unknown) => {
          answered(id);
          if (done) return;
          done = true;
          timers.clearTimeout(clock);
          fail(error, operation, slot);
          resolve({ ok: false });
        },
      );
    });
    waiting.add(outcome);
    void outcome.then(() => waiting.delete(outcome));
    return outcome;
  };

  const fail = (error: unknown, operation: string, slot: Slot): void => {
    if (!connected) return;
    connected = false;
    // Still announced (a return that was only provisional): the same outage goes on.
    if (announced) return;
    announced = true;
    downOnWrite = slot === 'write';
    events.down(error, operation);
  };

  const up = (slot: Slot): void => {
    connected = true;
    // A store that answers reads but refuses writes (out of memory, a read-only replica) would
    // otherwise be announced down and up at every sync: after a refused write, only a write
    // that lands, or a whole sync with no failure (see `confirm`), ends the outage.
    if (announced && (!downOnWrite || slot === 'write')) announce();
  };

  const announce = (): void => {
    announced = false;
    events.up();
  };

  return {
    get connected() {
      return connected;
    },
    get away() {
      return announced;
    },
    send,
    confirm() {
      if (connected && announced) announce();
    },
    idle: async () => {
      await Promise.all([...waiting]);
    },
    get outstanding() {
      return sent.size;
    },
  };
}
