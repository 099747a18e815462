import type { BreakerInternals as BreakerCore } from '../breaker/internals.js';
import { report } from '../breaker/internals.js';
import { emit, listening } from '../breaker/listeners.js';
import { invalid } from '../check/check.js';
import { checkDuration } from '../check/check.js';
import { TimeoutError } from '../breaker/errors.js';
import type { CircuitState, TrialGate } from '../machine/machine.js';
import { adoptOpen, close, currentState } from '../machine/machine.js';
import type { ChangeMode, SharedRecord, SharedStateBackend } from './shared-record.js';
import type { CircuitStore, StoreLink } from '../breaker/store-link.js';
import { registerStore } from '../breaker/store-link.js';

/** Options of {@link sharedStore} (and of `redisStore`). */
export interface SharedStoreOptions {
  /**
   * Milliseconds between two reads of the shared state of every attached breaker, in one batch.
   * It bounds how late this process sees an open or a close decided by another: at most
   * `syncInterval` plus one round trip. Default 500.
   */
  syncInterval?: number;
  /**
   * Milliseconds a store operation may take; past it the operation counts as failed, the store as
   * away, and the process decides alone until the store answers again. Default 200.
   */
  timeout?: number;
  /** Who this process is when it holds the trial lease. Default: a random id per store. */
  owner?: string;
}

const OPTION_KEYS = new Set(['syncInterval', 'timeout', 'owner']);

/** One attached breaker, as the store sees it. */
interface Entry extends StoreLink, TrialGate {
  /** Weak, so that a breaker nobody uses any more can be collected while attached. */
  readonly core: WeakRef<BreakerCore>;
  readonly name: string;
  /** Who holds the lease: one per breaker, so two breakers of a name in one process never both probe. */
  readonly owner: string;
  /** The generation of the shared record this process last took in. */
  generation: number;
  /** Bumped by every local change; a publish that succeeds clears `pending` only if none came after. */
  version: number;
  /** A local change the store has not taken yet: it is published again at the next sync. */
  pending: boolean;
  /** Publishes sent and not yet answered; a read or a refusal that crosses one says nothing new. */
  publishing: number;
  /** A read is on its way: a slow store gets no second one on top of it. */
  reading: boolean;
  /** While this process holds the trial lease: until when, on the breaker's clock. */
  leaseUntil: number;
  /** The generation the lease was granted under: any change of the record ends it. */
  leaseGeneration: number;
  /** After a refusal: no new request for the lease before this time. */
  askAfter: number;
  /** The lease request on its way; calls refused meanwhile wait for its answer. */
  asking: Promise<void> | undefined;
  /** Set while a state decided elsewhere is applied, so that it is not published back. */
  adopting: boolean;
  /** The rule of the last local change, kept to publish it again if the store missed it. */
  mode: ChangeMode;
  /** When the store went away, on this breaker's clock. */
  downSince: number;
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
 * - When the store fails or is slow, no call waits for it: each process decides from its local
 *   state, publishes what changed when the store answers again, and emits `storeDown`/`storeUp`.
 *
 * @example
 * ```ts no-run
 * const store = sharedStore(myBackend, { syncInterval: 250 });
 * const breaker = new CircuitBreaker({ name: 'payments', store });
 * ```
 */
export function sharedStore(backend: SharedStateBackend, options: SharedStoreOptions = {}): CircuitStore {
  if (typeof options !== 'object' || options === null) invalid(TypeError, 'store options', 'an object', options);
  for (const key of Object.keys(options)) if (!OPTION_KEYS.has(key)) throw new TypeError(`unknown store option "${key}"`);
  for (const method of ['read', 'open', 'close', 'trial'] as const) {
    if (typeof (backend as Partial<SharedStateBackend> | null)?.[method] !== 'function') {
      invalid(TypeError, 'backend', 'an object with read, open, close and trial methods', backend);
    }
  }
  const syncInterval = options.syncInterval === undefined ? 500 : checkDuration(options.syncInterval, 'syncInterval', { timer: true });
  const timeout = options.timeout === undefined ? 200 : checkDuration(options.timeout, 'timeout', { timer: true });
  const owner = options.owner ?? globalThis.crypto.randomUUID();
  if (typeof owner !== 'string' || owner === '') invalid(TypeError, 'owner', 'a non-empty string', owner);

  const entries = new Set<Entry>();
  let attached = 0;
  let timer: ReturnType<typeof setInterval> | undefined;
  let connected = true;
  let closed = false;
  /** Operations on their way, so that `sync()` can wait for what was sent before it. */
  const inflight = new Set<Promise<unknown>>();

  /** Runs one store operation within `timeout`; resolves undefined when it failed. */
  const run = <T>(operation: string, call: () => Promise<T>): Promise<T | undefined> => {
    const done = attempt(operation, call);
    inflight.add(done);
    void done.then(() => inflight.delete(done));
    return done;
  };

  const attempt = <T>(operation: string, call: () => Promise<T>): Promise<T | undefined> =>
    new Promise<T>((resolve, reject) => {
      // Unlike a guarded call's, this timer must not keep a process alive that is otherwise done.
      const clock = setTimeout(() => reject(new TimeoutError(`store ${operation}`, timeout)), timeout);
      clock.unref?.();
      let pending: Promise<T>;
      try {
        pending = Promise.resolve(call());
      } catch (error) {
        pending = Promise.reject(error);
      }
      pending.then(
        (value) => (clearTimeout(clock), resolve(value)),
        (error: unknown) => (clearTimeout(clock), reject(error)),
      );
    }).then(
      (value) => {
        up();
        return value;
      },
      (error: unknown) => {
        down(error, operation);
        return undefined;
      },
    );

  /** The attached breakers still alive, with their entries; the collected ones are dropped. */
  const live = (): [Entry, BreakerCore][] => {
    const pairs: [Entry, BreakerCore][] = [];
    for (const entry of entries) {
      const core = entry.core.deref();
      if (core === undefined) entries.delete(entry);
      else pairs.push([entry, core]);
    }
    return pairs;
  };

  const down = (error: unknown, operation: string): void => {
    if (!connected) return;
    connected = false;
    // Said once per outage, not once per failed request: an outage of minutes must not flood the log.
    for (const [entry, core] of live()) {
      entry.downSince = core.now();
      report(core, error, 'store');
      if (listening(core, 'storeDown')) emit(core, 'storeDown', { error, operation });
    }
  };

  const up = (): void => {
    if (connected) return;
    connected = true;
    for (const [entry, core] of live()) {
      if (listening(core, 'storeUp')) emit(core, 'storeUp', { downFor: core.now() - entry.downSince });
    }
  };

  /**
   * Takes in a record the store returned. A record of a generation already taken in changes
   * nothing, unless the two disagree on whether the circuit is closed: then the store's wins.
   */
  const apply = (entry: Entry, core: BreakerCore, record: SharedRecord): void => {
    const m = core.machine;
    const local = currentState(m, core.now);
    // Isolated and disabled are set by hand in this process, and hold until released here;
    // what the fleet did meanwhile is taken in at the first sync after.
    if (local === 'isolated' || local === 'disabled') return;
    if (record.state === 'none') {
      // The store lost the record (expired, or a restart without persistence): what this
      // process knows goes back in.
      if (local !== 'closed') publishLocal(entry, core, 'trip');
      return;
    }
    const agrees = (record.state === 'closed') === (local === 'closed');
    if (record.generation === entry.generation && agrees) return;
    if (record.generation !== entry.generation) entry.leaseUntil = Number.NEGATIVE_INFINITY;
    entry.generation = record.generation;
    entry.adopting = true;
    try {
      if (record.state === 'closed') {
        if (local !== 'closed') close(m);
      } else if (local !== 'half-open' || record.elapsed < record.period) {
        // Opened elsewhere: no failure of this process is to blame for it. (Already open here,
        // it is this process's own open coming back, or one it had taken in already.)
        if (local !== 'open') core.lastFailure = undefined;
        // Over in both places, half-open stays as it is, trials and all.
        adoptOpen(m, core.now(), record.elapsed, record.period, record.openings);
      }
    } finally {
      entry.adopting = false;
    }
  };

  const settle = (entry: Entry, version: number, record: SharedRecord | undefined): void => {
    entry.publishing -= 1;
    const core = entry.core.deref();
    if (record === undefined || core === undefined) return;
    if (entry.version === version) entry.pending = false;
    apply(entry, core, record);
  };

  /** Publishes the state this process is in now, under `mode`. */
  const publishLocal = (entry: Entry, core: BreakerCore, mode: ChangeMode): void => {
    if (closed) return;
    const phase = core.machine.phase;
    const generation = entry.generation;
    entry.leaseUntil = Number.NEGATIVE_INFINITY;
    if (phase.state === 'open' || phase.state === 'half-open') {
      const t = core.now();
      // Backends keep whole milliseconds (Redis refuses a fractional expiry).
      const period = Math.ceil(phase.state === 'open' ? phase.openFor : phase.lapseAfter);
      const elapsed = phase.state === 'open' ? Math.min(Math.floor(t - phase.openedAt), period) : period;
      const request = { mode, generation, period, elapsed: Math.max(0, elapsed), openings: core.machine.openings };
      send(entry, mode, 'open', () => backend.open(entry.name, request));
    } else if (phase.state === 'closed') {
      const request = { mode: mode === 'force' ? ('force' as const) : ('trial' as const), generation };
      send(entry, mode, 'close', () => backend.close(entry.name, request));
    }
  };

  const send = (entry: Entry, mode: ChangeMode, operation: string, call: () => Promise<SharedRecord>): void => {
    const version = ++entry.version;
    entry.publishing += 1;
    entry.pending = true;
    entry.mode = mode;
    void run(operation, call).then((record) => settle(entry, version, record));
  };

  /**
   * A change the store missed goes out again, unless the record moved on meanwhile (someone
   * else decided, or the store took the change and its answer came too late): then the record
   * is taken in as it is.
   */
  const resend = (entry: Entry, core: BreakerCore, record: SharedRecord): void => {
    if (record.state !== 'none' && record.generation !== entry.generation) {
      entry.pending = false;
      apply(entry, core, record);
      return;
    }
    const local = core.machine.phase.state;
    if (local === 'isolated' || local === 'disabled') return;
    // A trial's verdict only means something against the open it was a trial of.
    const mode = entry.mode === 'trial' && record.state !== 'open' && local !== 'closed' ? 'trip' : entry.mode;
    publishLocal(entry, core, mode);
  };

  const askForLease = (entry: Entry, core: BreakerCore): void => {
    const phase = core.machine.phase;
    if (phase.state !== 'half-open' || closed) return;
    const askedAt = core.now();
    const lease = Math.ceil(phase.lapseAfter);
    entry.asking = run('trial', () => backend.trial(entry.name, entry.owner, lease)).then((answer) => {
      entry.asking = undefined;
      if (answer === undefined || entry.core.deref() === undefined) return;
      if (answer.granted) {
        // Counted from the request, so this process gives the lease up no later than the store does.
        entry.leaseUntil = askedAt + lease;
        entry.leaseGeneration = entry.generation = answer.record.generation;
        return;
      }
      entry.askAfter = core.now() + Math.min(answer.wait, syncInterval);
      if (entry.publishing === 0) apply(entry, core, answer.record);
    });
  };

  const syncOne = async (entry: Entry): Promise<void> => {
    if (entry.reading || closed) return;
    entry.reading = true;
    const record = await run('sync', () => backend.read(entry.name));
    entry.reading = false;
    const core = entry.core.deref();
    if (record === undefined || core === undefined || entry.publishing > 0) return;
    if (entry.pending) resend(entry, core, record);
    else apply(entry, core, record);
  };

  const sync = async (): Promise<void> => {
    // What was sent before lands first, so the reads see it.
    await Promise.all([...inflight]);
    await Promise.all(live().map(([entry]) => syncOne(entry)));
  };

  const attach = (core: BreakerCore): StoreLink => {
    const ref = new WeakRef(core);
    // The methods reach the breaker through `ref` only: the store must not keep it alive.
    const entry: Entry = {
      core: ref,
      name: core.name,
      owner: `${owner}#${++attached}`,
      generation: 0,
      version: 0,
      pending: false,
      publishing: 0,
      reading: false,
      leaseUntil: Number.NEGATIVE_INFINITY,
      leaseGeneration: -1,
      askAfter: Number.NEGATIVE_INFINITY,
      asking: undefined,
      adopting: false,
      mode: 'trip',
      downSince: connected ? 0 : core.now(),
      changed(from: CircuitState, to: CircuitState) {
        const self = ref.deref();
        // Changes by hand are published by `forced`, after the change, whatever it was.
        if (self === undefined || self.manual || entry.adopting) return;
        if (!shared(from) || !shared(to) || to === 'half-open') return;
        publishLocal(entry, self, from === 'half-open' ? 'trial' : 'trip');
      },
      forced() {
        const self = ref.deref();
        if (self !== undefined && shared(self.machine.phase.state)) publishLocal(entry, self, 'force');
      },
      permit(t: number) {
        const self = ref.deref();
        // Away from the store (or done with it), this process decides alone, as a breaker without one would.
        if (self === undefined || !connected || closed) return true;
        if (t < entry.leaseUntil && entry.leaseGeneration === entry.generation) return true;
        if (t >= entry.askAfter && entry.asking === undefined) askForLease(entry, self);
        return false;
      },
      wait(t: number) {
        return entry.asking !== undefined ? 1 : Math.max(1, entry.askAfter - t);
      },
      awaiting() {
        return entry.asking;
      },
    };
    entries.add(entry);
    core.machine.trialGate = entry;
    if (timer === undefined && !closed) {
      timer = setInterval(() => void sync(), syncInterval);
      // The store must never keep a process alive that has nothing else to do.
      timer.unref?.();
    }
    void syncOne(entry);
    return entry;
  };

  const store: CircuitStore = {
    sync,
    close() {
      closed = true;
      if (timer !== undefined) clearInterval(timer);
      timer = undefined;
    },
    get connected() {
      return connected;
    },
  };
  registerStore(store, attach);
  return store;
}

const shared = (state: CircuitState): boolean => state === 'closed' || state === 'open' || state === 'half-open';
