import { CircuitBreaker, circuit } from 'circuitry';
import { sharedStore } from 'circuitry/store';
import { afterEach, beforeEach, expect, it, vi } from 'vitest';
import { pushingBackend } from '../helpers/memory-backend.js';

// Push over the in-memory backend, on fake timers: every store polls once a minute unless
// told otherwise, so whatever reaches a process sooner came by a hint or by the read a lost
// subscription triggers.
let stores: { close(): void }[] = [];
beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] });
});
afterEach(() => {
  for (const s of stores.splice(0)) s.close();
  vi.useRealTimers();
});

function pushingFleet(size: number, names = ['dep'], options: { syncInterval?: number; resyncInterval?: number } = {}) {
  let redisNow = 1_000_000;
  const { forProcess, control, bus } = pushingBackend(() => redisNow);
  const processes = Array.from({ length: size }, (_, i) => {
    const store = sharedStore(forProcess(), { syncInterval: 60_000, resyncInterval: 60_000, owner: `p${i}`, ...options });
    stores.push(store);
    const breakers = names.map(
      (name) => new CircuitBreaker({ name, registry: false, failureThreshold: 1, recoveryTimeout: 30_000, clock: { now: () => redisNow }, store }),
    );
    const trip = (k = 0) => circuit(async () => Promise.reject(new Error('down')), breakers[k]!)().catch(() => {});
    return { store, breakers, breaker: breakers[0]!, trip };
  });
  return {
    processes,
    control,
    bus,
    advance: async (ms: number) => {
      redisNow += ms;
      await vi.advanceTimersByTimeAsync(ms);
    },
  };
}

/** Lets hints, their reads and canaries land: microtasks, and the 0 ms flush timer. */
const land = () => vi.advanceTimersByTimeAsync(1);

it('an open reaches the other processes by hint, read once each; a duplicated hint reads nothing more', async () => {
  const f = pushingFleet(3);
  await f.advance(1100); // subscribed, canary back: trusted
  const before = f.control.calls;
  await f.processes[0]!.trip();
  await land();
  expect(f.processes.map((p) => p.breaker.state)).toEqual(['open', 'open', 'open']);
  // The open, then one read per other process: the writer already holds that generation.
  expect(f.control.calls - before).toBe(3);
  f.bus.forge('dep', Number.MAX_SAFE_INTEGER - 1);
  f.bus.forge('dep', 1); // an old generation: nothing read
  await land();
  expect(f.processes.map((p) => p.breaker.state)).toEqual(['open', 'open', 'open']);
  expect(f.processes[1]!.breaker.retryAfter).toBeGreaterThan(29_000);
});

it('a forged hint changes no state: the record is read, and it says closed', async () => {
  const f = pushingFleet(2);
  await f.advance(1100);
  f.bus.forge('dep', Number.MAX_SAFE_INTEGER - 1);
  f.bus.forge('nobody-has-this', Number.MAX_SAFE_INTEGER - 1);
  await land();
  expect(f.processes.map((p) => p.breaker.state)).toEqual(['closed', 'closed']);
});

it('a flood of hints reads each breaker at most once per 250 ms, batched: load does not grow with the flood', async () => {
  const names = Array.from({ length: 50 }, (_, i) => `dep${i}`);
  const f = pushingFleet(2, names);
  await f.advance(1100);
  const namesBefore = f.bus.namesRead;
  const callsBefore = f.control.calls;
  for (let ms = 0; ms < 1000; ms += 10) {
    for (let k = 0; k < 20; k++) for (const name of names) f.bus.forge(name, Number.MAX_SAFE_INTEGER - 1);
    await f.advance(10);
  }
  // 100,000 hints per process in one second: each breaker read about 4 times, in batches.
  const perProcess = (f.bus.namesRead - namesBefore) / 2;
  expect(perProcess).toBeLessThanOrEqual(names.length * 5);
  expect(perProcess).toBeGreaterThanOrEqual(names.length * 3);
  // Requests (not names): a handful of batches, plus canaries.
  expect(f.control.calls - callsBefore).toBeLessThanOrEqual(2 * (5 + 2));
});

it('a subscriber gone silent is found by its canary within 2 s: the process reads at once and polls until push is back', async () => {
  const f = pushingFleet(2, ['dep'], { syncInterval: 500, resyncInterval: 60_000 });
  await f.advance(1100);
  const [a, b] = f.processes;
  f.bus.silent = true;
  await a!.trip();
  await land();
  expect(b!.breaker.state).toBe('closed');
  // The canary sent at most 1 s later is not back 1 s after that: B reads everything, within
  // half a sync (jittered, so that a fleet that lost push together does not read together).
  await f.advance(2000 + 250);
  expect(b!.breaker.state).toBe('open');
  // Polling meanwhile: a close by hand reaches B within a sync.
  a!.breaker.close();
  await f.advance(500);
  expect(b!.breaker.state).toBe('closed');
  // Delivery works again: B subscribes anew by itself, and is back at push.
  f.bus.silent = false;
  const subscriptions = f.bus.subscriptions;
  await f.advance(5000);
  expect(f.bus.subscriptions).toBeGreaterThan(subscriptions);
  const reads = f.control.calls;
  a!.breaker.open();
  await land();
  expect(b!.breaker.state).toBe('open');
  expect(f.control.calls - reads).toBe(2);
});

it('a dropped connection: records read within half a sync, without waiting for a canary', async () => {
  const f = pushingFleet(2);
  await f.advance(1100);
  const [a, b] = f.processes;
  f.bus.silent = true;
  await a!.trip();
  f.bus.drop();
  await f.advance(30_000);
  // B never failed: not closed means it took in A's open (its period may be over by now).
  expect(b!.breaker.state).not.toBe('closed');
});

it('steady state with push trusted: every breaker read once per jittered resync (10 to 15 s), in batches, at most 0.1 per breaker per second', async () => {
  const names = Array.from({ length: 100 }, (_, i) => `dep${i}`);
  const f = pushingFleet(1, names, { syncInterval: 500, resyncInterval: 10_000 });
  await f.advance(1100);
  const namesBefore = f.bus.namesRead;
  const callsBefore = f.control.calls;
  await f.advance(120_000);
  const perBreakerPerSecond = (f.bus.namesRead - namesBefore) / names.length / 120;
  expect(perBreakerPerSecond).toBeGreaterThanOrEqual(1 / 15 - 0.01);
  expect(perBreakerPerSecond).toBeLessThanOrEqual(0.1);
  // Requests: one batch per resync and one canary a second.
  expect(f.control.calls - callsBefore).toBeLessThanOrEqual(120 + 13);
});

it('push lost and the store away: polls (probes) at syncInterval; a backend without push polls as before', async () => {
  const f = pushingFleet(2, ['dep'], { syncInterval: 500, resyncInterval: 60_000 });
  await f.advance(1100);
  f.control.down = true;
  const storeDowns: number[] = [];
  f.processes[1]!.breaker.on('storeDown', () => storeDowns.push(1));
  await f.advance(3000);
  expect(storeDowns).toHaveLength(1);
  f.control.down = false;
  await f.advance(3000);
  expect(f.processes[1]!.store.connected).toBe(true);
  await f.processes[0]!.trip();
  await f.advance(40_000);
  // Push is back (after a jittered pause): the open arrived, by hint or by the read on return.
  expect(f.processes[1]!.breaker.state).not.toBe('closed');
});

it('a lease refusal answered after a pushed close was taken in does not undo the close (a hint read racing the lease answer)', async () => {
  const f = pushingFleet(2);
  await f.advance(1100);
  const [p0, p1] = f.processes;
  await p0!.trip();
  await land();
  await f.advance(30_000);
  // p1 takes the lease, and its trial hangs.
  void circuit(async () => new Promise(() => {}), p1!.breaker)();
  await land();
  // p0's request is refused at once, under the open; the refusal arrives only when released.
  let release: (() => void) | undefined;
  f.control.intercept = (op, work) => {
    if (op !== 'trial' || release !== undefined) return undefined;
    const answer = work();
    return new Promise((resolve) => (release = () => void answer.then(resolve)));
  };
  const waiting = circuit(async () => 'ran', p0!.breaker)().catch((error: Error) => error.name);
  await land();
  expect(release).toBeDefined();
  // Meanwhile the circuit is closed by hand in p1, and the close reaches p0 by hint.
  p1!.breaker.close();
  await land();
  expect(p0!.breaker.state).toBe('closed');
  // The refusal, older than that close, is history: p0 stays closed, and its waiting call runs.
  release!();
  expect(await waiting).toBe('ran');
  expect(p0!.breaker.state).toBe('closed');
});
