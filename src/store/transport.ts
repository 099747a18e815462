/**
 * Requests to a shared backend: each answered within `timeout` or counted as failed, the
 * backend reachable or not (see `reachability.ts`), and a hard bound on what is queued however
 * long the backend hangs.
 *
 * A request the store stopped waiting for cannot be taken back from the client: it stays queued
 * until the backend answers. So the bound is on what is *sent*: per breaker at most one request
 * of each kind (read, write, lease) is outstanding, cleared when the backend answers, not at the
 * timeout; and while the backend is unreachable nothing is sent but one probe at a time for the
 * whole store. A probe can be lost for good (no answer and no error: a reply dropped on a
 * connection that never fails), and a store whose one probe is lost would never speak again; so
 * a probe given up on may be replaced once it has waited again, each replacement waiting twice as
 * long as the one before. Over a hang of length H, at most 3 requests per breaker plus about
 * 1 + log2(H / timeout) probes are queued.
 */
import { TimeoutError } from '../breaker/errors.js';
import type { Outage, Reachability, Slot, SlotState } from './reachability.js';
import { afterAnswer, afterFailure, afterQuietSync, announcement, outageOf, REACHABLE, route } from './reachability.js';

/** The timers the store runs on; tests and the simulation drive their own. */
export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  setInterval(fn: () => void, ms: number): unknown;
  clearInterval(handle: unknown): void;
  /** A number in [0, 1) for jitter; Math.random when absent. */
  random?(): number;
}

/**
 * One breaker's outstanding requests, by the number they were sent under (0: none), and the part
 * of the backend its record is in: parts fail apart (a cluster's slots), each with its own
 * reachability and probe; a backend of one part has them all in ''.
 */
export type Lane = Record<Slot, number> & { readonly part: string };

export const freeLane = (part = ''): Lane => ({ read: 0, write: 0, lease: 0, part });

/** An answer that came in time, or why there is none. */
export type Outcome<T> = { readonly ok: true; readonly value: T } | { readonly ok: false };

export interface Transport {
  /** Whether requests to `part` go out: false from a failed request until one is answered. */
  reachable(part: string): boolean;
  /** The outage on in `part`, from the `down` told until the matching `up`; undefined when none is. */
  outage(part: string): Outage | undefined;
  /** Whether an outage is on in any part. */
  readonly anyOutage: boolean;
  /**
   * Sends `call` on `lane`'s `slot`, unless one is outstanding there or the backend is
   * unreachable. Undefined when nothing was sent; otherwise settles with the answer, or without
   * one at the timeout or a failure.
   */
  send<T>(lane: Lane, slot: Slot, operation: string, call: () => Promise<T>): Promise<Outcome<T>> | undefined;
  /**
   * Sends one request reading for every lane of `lanes` (all of one part) whose read slot is
   * free, holding those slots until it is answered; nothing while the part is unreachable. Returns the lanes it
   * covers (in order) and its outcome, or undefined when no lane was free.
   */
  sendMany<T>(lanes: readonly Lane[], operation: string, call: (covered: readonly number[]) => Promise<T>): { readonly covered: readonly number[]; readonly outcome: Promise<Outcome<T>> } | undefined;
  /** Sends a read as {@link Transport.send} does, or, while the backend is unreachable, as the store's one probe. */
  readOrProbe<T>(lane: Lane, operation: string, call: () => Promise<T>): Promise<Outcome<T>> | undefined;
  /**
   * Ends an outage whose return was only provisional (reads answered after a write failed) when
   * nothing has failed since: called once a sync's earlier requests have settled.
   */
  confirm(): void;
  /** Settles when every request sent so far was answered or given up on. */
  idle(): Promise<void>;
}

interface Sent {
  readonly lanes: readonly Lane[];
  readonly slot: Slot;
  readonly part: string;
  gaveUp: boolean;
}

/** The part's probe slot. */
type ProbeSlot =
  | { readonly state: 'free' }
  /** Probe `id` is out: no other goes until it is answered, or overdue. */
  | { readonly state: 'out'; readonly id: number }
  /** Probe `id` was given up on and has waited again without an answer: it may be lost for good, and another may go. */
  | { readonly state: 'overdue'; readonly id: number };

const FREE: ProbeSlot = { state: 'free' };

/** Node's longest timer: a longer wait would fire at once. */
const LONGEST_WAIT = 2 ** 31 - 1;

/** What the transport knows of one part of the backend. */
interface Part {
  reachability: Reachability;
  probe: ProbeSlot;
  /** Probes replaced since the part was last reachable: the next one given up on waits 2^replaced timeouts before it may be replaced. */
  replaced: number;
}

export function createTransport(
  timeout: number,
  timers: Timers,
  events: { down(outage: Outage, part: string): void; up(part: string): void },
): Transport {
  const parts = new Map<string, Part>();
  let outages = 0;
  let seq = 0;
  let gaveUp = 0;
  const sent = new Map<number, Sent>();
  const waiting = new Set<Promise<unknown>>();

  const partOf = (name: string): Part => {
    let part = parts.get(name);
    if (part === undefined) parts.set(name, (part = { reachability: REACHABLE, probe: FREE, replaced: 0 }));
    return part;
  };

  const moveTo = (name: string, next: Reachability): void => {
    const part = partOf(name);
    const before = part.reachability;
    part.reachability = next;
    const told = announcement(before, next);
    const outage = outageOf(next);
    if (told === 'down' && outage !== undefined) {
      outages += 1;
      events.down(outage, name);
    } else if (told === 'up') {
      outages -= 1;
      events.up(name);
    }
    if (next.state !== 'reachable') return;
    part.replaced = 0;
    // A part reachable and idle is forgotten: a cluster has 16,384 slots.
    if (part.probe.state === 'free') parts.delete(name);
  };

  const release = (id: number): void => {
    const request = sent.get(id);
    if (request === undefined) return;
    sent.delete(id);
    if (request.gaveUp) gaveUp -= 1;
    for (const lane of request.lanes) if (lane[request.slot] === id) lane[request.slot] = 0;
    const part = parts.get(request.part);
    if (part !== undefined && probeIdOf(part) === id) part.probe = FREE;
  };

  const probeIdOf = (part: Part): number => (part.probe.state === 'free' ? 0 : part.probe.id);

  /** Probe `id` was given up on: once it has waited 2^replaced timeouts more, another may replace it. */
  const probeGivenUp = (name: string, id: number): void => {
    const part = parts.get(name);
    if (part === undefined || probeIdOf(part) !== id) return;
    const wait = Math.min(timeout * 2 ** part.replaced, LONGEST_WAIT);
    timers.setTimeout(() => {
      if (part.probe.state === 'out' && part.probe.id === id) part.probe = { state: 'overdue', id };
    }, wait);
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

  const slotState = (lane: Lane, slot: Slot): SlotState => {
    const held = lane[slot];
    if (held === 0) return 'free';
    return sent.get(held)?.gaveUp === true ? 'given-up' : 'waiting';
  };

  const dispatch = <T>(lane: Lane, slot: Slot, operation: string, call: () => Promise<T>, mayProbe: boolean): Promise<Outcome<T>> | undefined => {
    const part = partOf(lane.part);
    const where = route(part.reachability, slot, mayProbe, slotState(lane, slot), part.probe.state === 'out');
    if (where === 'not-sent') return undefined;
    const id = ++seq;
    if (where === 'probe-slot') {
      // The overdue probe stays queued in the client: what bounds the queue is the doubling wait.
      if (part.probe.state === 'overdue') part.replaced += 1;
      part.probe = { state: 'out', id };
    } else lane[slot] = id;
    return carry(id, { lanes: [lane], slot, part: lane.part, gaveUp: false }, operation, call);
  };

  const carry = <T>(id: number, request: Sent, operation: string, call: () => Promise<T>): Promise<Outcome<T>> => {
    const { slot, part } = request;
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
        moveTo(part, afterFailure(partOf(part).reachability, new TimeoutError(`store ${operation}`, timeout), operation, slot));
        probeGivenUp(part, id);
        resolve({ ok: false });
      }, timeout);
      reply.then(
        (value) => {
          answered(id);
          if (!done) timers.clearTimeout(clock);
          // A late answer still says the backend is back, but its content is history.
          moveTo(part, afterAnswer(partOf(part).reachability, slot));
          if (done) return;
          done = true;
          resolve({ ok: true, value });
        },
        (error: unknown) => {
          answered(id);
          if (done) return;
          done = true;
          timers.clearTimeout(clock);
          moveTo(part, afterFailure(partOf(part).reachability, error, operation, slot));
          resolve({ ok: false });
        },
      );
    });
    waiting.add(outcome);
    void outcome.then(() => waiting.delete(outcome));
    return outcome;
  };

  return {
    reachable: (name) => parts.get(name)?.reachability.state !== 'unreachable',
    outage: (name) => {
      const part = parts.get(name);
      return part === undefined ? undefined : outageOf(part.reachability);
    },
    get anyOutage() {
      return outages > 0;
    },
    send: (lane, slot, operation, call) => dispatch(lane, slot, operation, call, false),
    sendMany(lanes, operation, call) {
      const covered: number[] = [];
      const name = lanes[0]?.part ?? '';
      const part = partOf(name);
      lanes.forEach((lane, i) => {
        if (route(part.reachability, 'read', false, slotState(lane, 'read'), part.probe.state === 'out') === 'own-slot') covered.push(i);
      });
      if (covered.length === 0) return undefined;
      const id = ++seq;
      const held = covered.map((i) => lanes[i]!);
      for (const lane of held) lane.read = id;
      return { covered, outcome: carry(id, { lanes: held, slot: 'read', part: name, gaveUp: false }, operation, () => call(covered)) };
    },
    readOrProbe: (lane, operation, call) => dispatch(lane, 'read', operation, call, true),
    confirm() {
      for (const [name, part] of [...parts]) moveTo(name, afterQuietSync(part.reachability));
    },
    idle: async () => {
      await Promise.all([...waiting]);
    },
  };
}
