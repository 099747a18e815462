import { checkDuration, invalid, optionsObject } from '../check/check.js';
import type { AttachedBreaker, BreakerState, TrialGate } from '../breaker/attached-breaker.js';
import { attachBreaker } from '../breaker/store-side.js';
import type { UsableRecord } from './record-rules.js';
import { checkRecord, publication, reconcile, retry, sharedState, superseded, type Decision } from './record-rules.js';
import type { ChangeAnswer, ChangeMode, RequestStamp, SharedRecord, SharedStateBackend } from './shared-record.js';
import type { CircuitStore, StoreLink } from '../breaker/store-link.js';
import { registerSide, registerStore } from '../breaker/store-link.js';
import type { Lane, Timers, Transport } from './transport.js';
import { createTransport, freeLane, realTimers } from './transport.js';
import * as lease from './trial-lease.js';

/** Options of {@link sharedStore} (and of `redisStore`). */
export interface SharedStoreOptions {
  /**
   * Milliseconds between two reads of the shared state of every attached breaker, in one batch.
   * It bounds how late this process sees an open or a close decided by another: at most
   * `syncInterval` plus one round trip. Default 500; at most 2,147,483,647 (Node's timer limit).
   */
  syncInterval?: number | undefined;
  /**
   * Milliseconds a store operation may take; past it the operation counts as failed, the store as
   * away, and the process decides alone until the store answers again. A request given up on is
   * refused by the store if it arrives later still. Default 200; at most 2,147,483,647.
   */
  timeout?: number | undefined;
  /** Who this process is when it holds the trial lease. Default: a random id per store. */
  owner?: string | undefined;
}

const OPTION_KEYS = new Set(['syncInterval', 'timeout', 'owner']);
/** Node fires a timer at once when its delay is beyond this. */

/** One attached breaker, as the store sees it. */
interface Entry extends StoreLink, TrialGate {
  /** Weak, so that a breaker nobody uses any more can be collected while attached. */
  readonly breaker: WeakRef<AttachedBreaker>;
  readonly name: string;
  /** Who holds the lease: one per breaker, so two breakers of a name in one process never both probe. */
  readonly owner: string;
  readonly lane: Lane;
  readonly lease: lease.Lease;
  /** The generation of the shared record this process last took in. */
  generation: number;
  /** Bumped by every local change; a publish that succeeds clears `pending` only if none came after. */
  version: number;
  /** A local change the store has not taken yet: it is published again at the next sync. */
  pending: boolean;
  /** The rule of the last local change, kept to publish it again if the store missed it. */
  mode: ChangeMode;
  /**
   * True when the last answer to a change did not take it (refused as late, or a close that found
   * no record): the next such answer waits for a sync.
   */
  missed: boolean;
  /** Set while a state decided elsewhere is applied, so that it is not published back. */
  adopting: boolean;
  /** The backend's clock minus the breaker's, from the last answer that came in time. */
  offset: number | undefined;
  /** True once the backend answered this breaker in time: before, a change could not be stamped. */
  heard: boolean;
  /** While the record is not one this process can use: why. The breaker decides alone meanwhile. */
  unusable: string | undefined;
  /** When the store, or this breaker's record, went away, on this breaker's clock. */
  downSince: number;
  /** True from the `storeDown` this breaker was told until its `storeUp`: each is said once. */
  told: boolean;
}

/** `sharedStore` on the given timers, without the breaker side (see {@link sharedStoreOn}). */
export function createSharedStore(backend: SharedStateBackend, options: SharedStoreOptions, timers: Timers): CircuitStore {
  optionsObject(options, 'store', OPTION_KEYS);
  for (const method of ['read', 'open', 'close', 'trial'] as const) {
    if (typeof (backend as Partial<SharedStateBackend> | null)?.[method] !== 'function') {
      invalid(TypeError, 'backend', 'an object with read, open, close and trial methods', backend);
    }
  }
  const syncInterval = options.syncInterval === undefined ? 500 : checkDuration(options.syncInterval, 'syncInterval', { timer: true });
  const timeout = options.timeout === undefined ? 200 : checkDuration(options.timeout, 'timeout', { timer: true });
  const owner = options.owner ?? randomOwner();
  if (typeof owner !== 'string' || owner === '') invalid(TypeError, 'owner', 'a non-empty string', owner);

  const entries = new Set<Entry>();
  let attached = 0;
  let timer: unknown;
  let closed = false;

  /** The attached breakers still alive, with their entries; the collected ones are dropped. */
  const live = (): [Entry, AttachedBreaker][] => {
    const pairs: [Entry, AttachedBreaker][] = [];
    for (const entry of entries) {
      const breaker = entry.breaker.deref();
      if (breaker === undefined) entries.delete(entry);
      else pairs.push([entry, breaker]);
    }
    return pairs;
  };

  // A clock that stepped back while away would make the time away negative.
  const timeAway = (entry: Entry, breaker: AttachedBreaker): number => Math.max(0, breaker.now() - entry.downSince);

  // A breaker hears one storeDown, for the store or for its record, and one storeUp once both
  // are back: an outage seen from two sides is still one outage.
  const tellDown = (entry: Entry, breaker: AttachedBreaker, error: unknown, operation: string): void => {
    if (entry.told || closed) return;
    entry.told = true;
    entry.downSince = breaker.now();
    breaker.storeDown(error, operation);
  };
  const tellUp = (entry: Entry, breaker: AttachedBreaker): void => {
    if (!entry.told || closed || entry.unusable !== undefined || transport.away) return;
    entry.told = false;
    breaker.storeUp(timeAway(entry, breaker));
  };

  /** Why the store is away, while it is: told to a breaker that joins during the outage. */
  let outage: { readonly error: unknown; readonly operation: string } | undefined;

  const transport: Transport = createTransport(timeout, timers, {
    // Said once per outage, not once per failed request: an outage of minutes must not flood the log.
    down(error, operation) {
      // Closed, the store shares nothing: an answer still on its way tells no breaker anything.
      if (closed) return;
      outage = { error, operation };
      for (const [entry, breaker] of live()) tellDown(entry, breaker, error, operation);
    },
    up() {
      if (closed) return;
      outage = undefined;
      for (const [entry, breaker] of live()) tellUp(entry, breaker);
      // What changed while away goes out now, not an interval later.
      void readAll();
    },
  });

  /** When this process decides, in the backend's time as last seen; the backend refuses it if it arrives late. */
  const stamp = (entry: Entry, breaker: AttachedBreaker): RequestStamp => ({
    decidedAt: entry.offset === undefined ? 0 : Math.round(breaker.now() + entry.offset),
    maxAge: Math.ceil(timeout),
  });

  /**
   * The record as this process may use it; undefined when it cannot. A record that cannot be
   * used makes this breaker decide alone, reported once until the record is usable again.
   */
  const usable = (entry: Entry, breaker: AttachedBreaker, record: SharedRecord, sentAt: number): UsableRecord | undefined => {
    if (closed) return undefined;
    entry.heard = true;
    const checked = checkRecord(record);
    if (typeof checked === 'string') {
      if (entry.unusable === undefined) {
        entry.unusable = checked;
        tellDown(entry, breaker, new Error(`circuitry: the shared record of "${entry.name}" cannot be used, so this process decides alone: ${checked}`), 'record');
      }
      return undefined;
    }
    if (entry.unusable !== undefined) {
      entry.unusable = undefined;
      tellUp(entry, breaker);
    }
    if (checked.at !== undefined) entry.offset = checked.at - (sentAt + breaker.now()) / 2;
    return checked;
  };

  const carryOut = (entry: Entry, breaker: AttachedBreaker, decision: Decision): void => {
    if (decision.kind === 'keep') return;
    if (decision.kind === 'publish') return publish(entry, breaker, decision.mode);
    if (decision.renewed) lease.end(entry.lease);
    const record = decision.record;
    entry.generation = record.generation;
    if (decision.adopt === 'nothing') return;
    entry.adopting = true;
    try {
      if (decision.adopt === 'close') breaker.adoptClose();
      else breaker.adoptOpen(record.elapsed, record.period, record.openings);
    } finally {
      entry.adopting = false;
    }
  };

  const take = (entry: Entry, breaker: AttachedBreaker, record: UsableRecord, resending: boolean): void => {
    const local = { state: breaker.state(), generation: entry.generation };
    const decision = resending ? retry(record, local, entry.mode) : reconcile(record, local);
    if (resending && decision.kind !== 'publish') entry.pending = false;
    carryOut(entry, breaker, decision);
  };

  /** Marks the state this process is in now as to be published under `mode`, and sends it if it can. */
  const publish = (entry: Entry, breaker: AttachedBreaker, mode: ChangeMode): void => {
    entry.version += 1;
    entry.pending = true;
    entry.mode = mode;
    lease.end(entry.lease);
    flush(entry, breaker);
  };

  const flush = (entry: Entry, breaker: AttachedBreaker): void => {
    // Not before the backend first answered: unstamped, a change held by the client through an
    // outage (ioredis lazyConnect, an offline queue) would be applied as new when it lands, and the
    // time the outage took would be lost. The answer that comes first sends it, stamped.
    if (closed || !entry.pending || entry.unusable !== undefined || !entry.heard) return;
    const what = publication(breaker.state(), breaker.openPeriod(), breaker.openings(), entry.mode);
    if (what === undefined) return;
    const version = entry.version;
    const generation = entry.generation;
    const sentAt = breaker.now();
    const s = stamp(entry, breaker);
    const call =
      what.op === 'open'
        ? () => backend.open(entry.name, { mode: entry.mode, generation, period: what.period, elapsed: what.elapsed, openings: what.openings, ...s })
        : () => backend.close(entry.name, { mode: what.mode, generation, ...s });
    const sent = transport.send(entry.lane, 'write', what.op, call);
    // Not sent (one on its way, or the store away): it goes when that one settles, or at the next sync.
    void sent?.then((outcome) => {
      const self = entry.breaker.deref();
      if (!outcome.ok || self === undefined) return;
      // Refused as late (this process's stamp was old: its clock stepped back, or the request took
      // long to arrive): the change is not taken, so it stays pending and goes again under the
      // rules of a change the store missed, stamped anew from this answer's clock (`usable` renews
      // the offset). Taken as an answer like any other, the change would be lost.
      const answer = outcome.value as ChangeAnswer | undefined;
      // A close that found no record (the store lost it: a restart, an expiry) changed nothing
      // either: it is a change the store missed, and goes again under those rules.
      const missed = answer?.late === true || (what.op === 'close' && answer?.state === 'none');
      const missedAgain = missed && entry.missed;
      entry.missed = missed;
      if (entry.version === version && !missed) entry.pending = false;
      const record = usable(entry, self, outcome.value, sentAt);
      // Missed twice in a row: the next sync sends it, so a backend that refuses everything is
      // asked once per sync, not in a loop of round trips.
      if (record === undefined || missedAgain) return;
      if (entry.version !== version && !missed) {
        carryOut(entry, self, superseded(record, what.op, { state: self.state(), generation: entry.generation }));
      } else {
        take(entry, self, record, missed);
      }
      if (entry.pending) flush(entry, self);
    });
  };

  const askForLease = (entry: Entry, breaker: AttachedBreaker): void => {
    const period = breaker.openPeriod();
    if (breaker.state() !== 'half-open' || period === undefined || closed) return;
    const askedAt = breaker.now();
    const length = Math.ceil(period.period);
    const s = stamp(entry, breaker);
    const sent = transport.send(entry.lane, 'lease', 'trial', () => backend.trial(entry.name, entry.owner, length, s));
    if (sent === undefined) return;
    entry.lease.asking = sent.then((outcome) => {
      entry.lease.asking = undefined;
      const self = entry.breaker.deref();
      if (!outcome.ok || self === undefined) return;
      const answer = outcome.value;
      const record = usable(entry, self, answer?.record, askedAt);
      if (record === undefined) return;
      if (answer.granted === true) {
        lease.granted(entry.lease, askedAt, length, record.generation);
        entry.generation = record.generation;
        return;
      }
      lease.refused(entry.lease, self.now(), answer.wait, syncInterval, length);
      if (entry.lane.write === 0) take(entry, self, record, false);
    });
  };

  const read = (entry: Entry, probe = false): Promise<void> => {
    const breaker = entry.breaker.deref();
    if (closed || breaker === undefined) return Promise.resolve();
    const sentAt = breaker.now();
    const sent = transport.send(entry.lane, 'read', 'sync', () => backend.read(entry.name), probe);
    if (sent === undefined) return Promise.resolve();
    return sent.then((outcome) => {
      const self = entry.breaker.deref();
      // A read that crosses a publish says nothing new: the publish's own answer will.
      if (!outcome.ok || self === undefined || entry.lane.write !== 0) return;
      const record = usable(entry, self, outcome.value, sentAt);
      if (record === undefined) return;
      take(entry, self, record, entry.pending);
    });
  };

  // Only entries are held across the wait, never a breaker: one its owner let go of is collected
  // at once, not after a probe that may hang for the whole `timeout`.
  const readAll = async (): Promise<void> => {
    const entries = live().map(([entry]) => entry);
    if (!transport.connected) {
      // Away: one probe for the whole store, so a hang of any length queues nothing more.
      if (entries[0] !== undefined) await read(entries[0], true);
      return;
    }
    await Promise.all(entries.map((entry) => read(entry)));
  };

  const sync = async (): Promise<void> => {
    // What was sent before lands first, so the reads see it.
    await transport.idle();
    // A change still waiting to be written is what a store that refuses writes refuses: the
    // outage goes on until it lands, however well reads are answered (one that will not be sent,
    // from a breaker isolated or disabled since, holds nothing up).
    if (!live().some(([entry, breaker]) => entry.pending && entry.unusable === undefined && sharedState(breaker.state()))) transport.confirm();
    await readAll();
  };

  // Away as announced (storeDown until storeUp), not merely between two answers: a store that
  // answers reads but refuses writes leaves its breakers deciding alone, as they were told.
  const alone = (entry: Entry): boolean => transport.away || closed || entry.unusable !== undefined;

  const attach = (breaker: AttachedBreaker): StoreLink => {
    const ref = new WeakRef(breaker);
    // The methods reach the breaker through `ref` only: the store must not keep it alive.
    const entry: Entry = {
      breaker: ref,
      name: breaker.name,
      owner: `${owner}#${++attached}`,
      lane: freeLane(),
      lease: lease.newLease(),
      generation: 0,
      version: 0,
      pending: false,
      mode: 'trip',
      missed: false,
      adopting: false,
      offset: undefined,
      heard: false,
      unusable: undefined,
      downSince: 0,
      told: false,
      changed(from: BreakerState, to: BreakerState) {
        const self = ref.deref();
        // Changes by hand are published by `forced`, after the change, whatever it was.
        if (self === undefined || self.manual() || entry.adopting) return;
        if (!sharedState(from) || !sharedState(to) || to === 'half-open') return;
        publish(entry, self, from === 'half-open' ? 'trial' : 'trip');
      },
      forced() {
        const self = ref.deref();
        if (self !== undefined && sharedState(self.state())) publish(entry, self, 'force');
      },
      leaseAnswer: () => entry.lease.asking,
      permit(t: number) {
        const self = ref.deref();
        // Away from the store (or done with it), this process decides alone, as a breaker without one would.
        if (self === undefined || alone(entry)) return true;
        if (lease.holds(entry.lease, t, entry.generation)) return true;
        // A local change the store has not taken (a failed trial's open, lost or refused as late)
        // goes first: a lease asked for meanwhile would be granted under the open that trial already
        // failed, and a second trial would run in one open period. Found by the fleet simulation, seed 548.
        if (entry.pending) {
          flush(entry, self);
          return false;
        }
        if (lease.mayAsk(entry.lease, t)) askForLease(entry, self);
        return false;
      },
      wait: (t: number) => (alone(entry) ? 0 : entry.pending ? 1 : lease.waitFor(entry.lease, t)),
    };
    entries.add(entry);
    breaker.setTrialGate(entry);
    // Joining an outage, it is told of it as the others were, so its storeUp never comes alone;
    // a microtask later, so listeners added right after the breaker is made hear it.
    if (outage !== undefined) {
      const joined = outage;
      void Promise.resolve().then(() => {
        const self = ref.deref();
        if (self !== undefined && outage === joined) tellDown(entry, self, joined.error, joined.operation);
      });
    }
    if (timer === undefined && !closed) timer = timers.setInterval(() => void sync(), syncInterval);
    void read(entry, true);
    return entry;
  };

  const store: CircuitStore = {
    sync,
    close() {
      closed = true;
      if (timer !== undefined) timers.clearInterval(timer);
      timer = undefined;
    },
    get connected() {
      return !closed && !transport.away;
    },
  };
  registerStore(store, attach);
  return store;
}

/**
 * Makes a store that shares circuit state between processes through `backend` (see
 * {@link SharedStateBackend}; `redisStore` from `circuitry/redis` is this over Redis).
 *
 * - The closed-state path never waits for the store: failures are counted in each process, and
 *   the process whose count trips the circuit publishes the open.
 * - Every `syncInterval` the store reads the shared records of its breakers (one batch) and
 *   takes in what others decided: an open, a close, the time left.
 * - When the open period is over, one process at a time holds the trial lease and runs up to
 *   `halfOpenMaxCalls` trial calls; the lease lasts one open period, so a crashed prober cannot
 *   wedge the fleet. Its trials close or re-open the circuit for everyone.
 * - When the store fails or is slow, no call waits for it longer than `timeout`: each process
 *   decides from its local state, publishes what changed when the store answers again, and emits
 *   `storeDown`/`storeUp`. At most three requests per breaker, plus one probe per store, are ever
 *   queued, however long the store hangs.
 * - A record the store holds that this version cannot use (another program's key, a damaged
 *   record, a later format) is that breaker's problem only: it decides alone, said once.
 *
 * @example
 * ```ts no-run
 * const store = sharedStore(myBackend, { syncInterval: 250 });
 * const breaker = new CircuitBreaker({ name: 'payments', store });
 * ```
 * @throws TypeError or RangeError naming the option when an option is invalid.
 */
export function sharedStore(backend: SharedStateBackend, options: SharedStoreOptions = {}): CircuitStore {
  return sharedStoreOn(backend, options, realTimers);
}

/** {@link sharedStore} on the given timers (the fleet simulation runs it on virtual time). */
export function sharedStoreOn(backend: SharedStateBackend, options: SharedStoreOptions, timers: Timers): CircuitStore {
  const store = createSharedStore(backend, options, timers);
  registerSide(store, attachBreaker);
  return store;
}

// randomUUID exists only in secure contexts (https, localhost) in browsers: elsewhere an id
// random enough to tell this process's lease from another's still serves.
function randomOwner(): string {
  const uuid = (globalThis.crypto as { randomUUID?: () => string } | undefined)?.randomUUID;
  if (typeof uuid === 'function') return uuid.call(globalThis.crypto);
  return `${Math.random().toString(36).slice(2)}${Math.random().toString(36).slice(2)}-${Date.now().toString(36)}`;
}
