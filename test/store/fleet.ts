import { CircuitBreaker, circuit } from 'circuitry';
import { sharedStore } from 'circuitry/store';
import type { BreakerOptions, CircuitStore } from 'circuitry';
import { memoryBackend } from '../helpers/memory-backend.js';

/** Lets queued promise reactions and store round trips (in memory) finish. */
export const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * A fleet of `size` processes in one test: each has its own store, clock and breaker named
 * 'dep', all over one in-memory backend whose clock is the "Redis clock". Each process clock can
 * run `skew` ms ahead of it, to show that only durations cross between processes.
 */
export function fleet(size: number, options: BreakerOptions = {}, skew: number[] = []) {
  let redisNow = 1_000_000;
  const { backend, control } = memoryBackend(() => redisNow);
  const reports: { process: number; error: unknown; source: string }[] = [];
  const processes = Array.from({ length: size }, (_, i) => {
    const store: CircuitStore = sharedStore(backend, { syncInterval: 60_000, owner: `p${i}` });
    const clock = { now: () => redisNow + (skew[i] ?? 0) };
    const breaker = new CircuitBreaker({
      name: 'dep',
      registry: false,
      failureThreshold: 3,
      recoveryTimeout: 1000,
      clock,
      store,
      reportError: (error, source) => reports.push({ process: i, error, source }),
      ...options,
    });
    const ran: string[] = [];
    let outcome: 'ok' | 'fail' | 'hang' = 'ok';
    const call = circuit(async (tag: string) => {
      ran.push(tag);
      if (outcome === 'hang') await new Promise(() => {});
      if (outcome === 'fail') throw new Error('dependency failed');
      return tag;
    }, breaker);
    return {
      store,
      breaker,
      ran,
      call,
      /** Calls and reports what happened: the value, the error's name, or 'rejected'. */
      attempt: (tag = 'call') =>
        call(tag).then(
          (value) => value,
          (error: Error) => (error.name === 'CircuitOpenError' ? 'rejected' : error.message),
        ),
      dependency(next: 'ok' | 'fail' | 'hang') {
        outcome = next;
      },
    };
  });
  const syncAll = () => Promise.all(processes.map((p) => p.store.sync()));
  return {
    processes,
    control,
    reports,
    syncAll,
    advance(ms: number) {
      redisNow += ms;
    },
    close: () => processes.forEach((p) => p.store.close()),
  };
}
