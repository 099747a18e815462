import type { PushListener, SharedStateBackend, SharedStatePush } from 'circuitry/store';
import { simBackend, simRedis } from './sim-redis.js';

/** A record as the tests read it back. */
interface Row {
  state: string;
  generation: number;
  openedAt: number;
  openPeriod: number;
  openings: number;
  owner: string;
  leaseUntil: number;
}

/**
 * circuitry/redis's Lua script restated in memory (see sim-redis.ts), on a clock the test drives:
 * several stores over one of these are several processes sharing one Redis. `down` makes every
 * operation fail, `hang` makes every operation never answer, `late` does the work but never
 * answers, and `calls` counts operations.
 */
export function memoryBackend(now: () => number, channel = '') {
  const sim = simRedis(now);
  const rows = {
    get(name: string): Row | undefined {
      const h = sim.live(name);
      if (!(h instanceof Map)) return undefined;
      const n = (f: string) => Number(h.get(f));
      return { state: h.get('s')!, generation: n('g'), openedAt: n('o'), openPeriod: n('p'), openings: n('n'), owner: h.get('l')!, leaseUntil: n('u') };
    },
    clear: () => sim.keys.clear(),
  };
  const control = {
    down: false,
    hang: false,
    late: false,
    calls: 0,
    rows,
    sim,
    /** Takes over the next request of an operation: gets the work (not done yet) and returns the reply. */
    intercept: undefined as ((operation: string, work: () => Promise<unknown>) => Promise<unknown> | undefined) | undefined,
  };
  const inner = simBackend(sim, undefined, channel);
  const step = <T>(work: () => Promise<T>, operation = ''): Promise<T> => {
    control.calls += 1;
    const intercept = control.intercept;
    if (intercept !== undefined) {
      const reply = intercept(operation, work) as Promise<T> | undefined;
      if (reply !== undefined) return reply;
    }
    if (control.hang) return new Promise(() => {});
    if (control.down) return Promise.reject(new Error('connection refused'));
    // Done, but the answer never arrives: the process cannot tell this from a failure.
    if (control.late) return (void work(), new Promise(() => {}));
    return work();
  };
  const whole = (r: { openPeriod: number; elapsed: number; openings: number }) => {
    // Redis refuses a fractional expiry: a backend gets whole milliseconds.
    for (const key of ['openPeriod', 'elapsed', 'openings'] as const) {
      if (!Number.isSafeInteger(r[key])) throw new Error(`ERR value is not an integer: ${key} ${r[key]}`);
    }
  };
  const backend: SharedStateBackend = {
    read: (name) => step(() => inner.read(name), 'read'),
    open: (name, r) => step(async () => (whole(r), inner.open(name, r)), 'open'),
    close: (name, r) => step(() => inner.close(name, r), 'close'),
    trial: (name, owner, lease, s) =>
      step(async () => {
        if (!Number.isSafeInteger(lease)) throw new Error(`ERR value is not an integer: lease ${lease}`);
        return inner.trial(name, owner, lease, s);
      }, 'trial'),
  };
  return { backend, control };
}

/**
 * {@link memoryBackend} with both optional capabilities: `readMany`, and `push` over the
 * simulated Redis's publications. `bus` controls delivery: `silent` drops every message (hints
 * and canaries) without a word, as a dead subscriber does; `forge` delivers a message nobody
 * published; `drop()` tells every subscriber its connection dropped. `readMany` counts the names
 * it read in `bus.namesRead`.
 */
export function pushingBackend(now: () => number) {
  const { backend, control } = memoryBackend(now, 'changes');
  const listeners = new Set<PushListener>();
  const bus = {
    silent: false,
    namesRead: 0,
    subscriptions: 0,
    forge(name: string, generation?: number) {
      for (const l of listeners) queueMicrotask(() => l.hint(name, generation));
    },
    drop() {
      for (const l of [...listeners]) l.dropped();
    },
    get subscribed() {
      return listeners.size;
    },
  };
  control.sim.subscribers.add((_channel, message) => {
    if (bus.silent) return;
    const colon = message.indexOf(':');
    for (const l of listeners) queueMicrotask(() => l.hint(message.slice(colon + 1), Number(message.slice(0, colon))));
  });
  const push = (): SharedStatePush => {
    let mine: PushListener | undefined;
    return {
      version: 1,
      subscribe: async (listener) => {
        if (control.down) throw new Error('connection refused');
        mine = listener;
        listeners.add(listener);
        bus.subscriptions += 1;
      },
      canary: async (token) => {
        control.calls += 1;
        if (control.down) throw new Error('connection refused');
        const to = mine;
        if (!bus.silent && to !== undefined) queueMicrotask(() => to.canary(token));
      },
      unsubscribe: () => {
        if (mine !== undefined) listeners.delete(mine);
        mine = undefined;
      },
    };
  };
  /** One backend per process: each has its own subscription, as each has its own connection. */
  const forProcess = (): SharedStateBackend => ({
    ...backend,
    readMany: async (names) => {
      control.calls += 1;
      bus.namesRead += names.length;
      if (control.down) throw new Error('connection refused');
      return Promise.all(names.map((name) => backend.read(name).then((r) => ((control.calls -= 1), r))));
    },
    push: push(),
  });
  return { forProcess, control, bus };
}
