import { CircuitBreaker, countWindow } from 'circuitry';
import type { CountBatch, SharedStateBackend } from 'circuitry/store';
import { afterEach, expect, it } from 'vitest';
import { sharedStoreOn } from '../../src/store/shared-store.js';
import { memoryBackend } from '../helpers/memory-backend.js';
import { settle } from './fleet.js';

// judge: 'fleet' on an in-memory backend whose count capability only records the flushes, on
// timers the test fires: what a process sends, and what `configure` may do to a fleet-judged breaker.
const closers: (() => void)[] = [];
afterEach(() => closers.splice(0).forEach((close) => close()));

function setUp() {
  let now = 1_000_000;
  const { backend, control } = memoryBackend(() => now);
  const flushed: CountBatch[][] = [];
  const counting: SharedStateBackend = {
    ...backend,
    counting: {
      version: 1,
      count: (batches) => (control.down ? Promise.reject(new Error('connection refused')) : (flushed.push([...batches]), Promise.resolve({ records: [] }))),
    },
  };
  const intervals: (() => void)[] = [];
  const timers = {
    setTimeout: () => 0,
    clearTimeout: () => {},
    setInterval: (fn: () => void) => intervals.push(fn),
    clearInterval: () => {},
  };
  const store = sharedStoreOn(counting, { judge: 'fleet', countInterval: 1000, syncInterval: 60_000, owner: 'p0' }, timers);
  closers.push(() => store.close());
  const breaker = new CircuitBreaker({
    name: 'dep',
    registry: false,
    clock: { now: () => now },
    policy: countWindow({ size: 100, minimumCalls: 20, failureRate: 0.5 }),
    store,
  });
  // Every interval the store set: the resync tick, then the count flush.
  const flush = () => intervals.at(-1)!();
  return { store, breaker, control, flushed, flush, advance: (ms: number) => (now += ms) };
}

const fail = () => Promise.reject(new Error('down'));

it('configure cannot take a fleet-judged breaker off its window: consecutive failures are refused, the breaker unchanged', async () => {
  const { store, breaker } = setUp();
  await store.sync();
  expect(() => breaker.configure({ policy: undefined, failureThreshold: 2 })).toThrow(new TypeError(`judge: 'fleet' needs a window policy (countWindow or timeWindow), but breaker "dep" has none: it counts consecutive failures, or its policy gives no window rule`));
  // Still the window: two failures in a row open nothing here, and go to the fleet.
  for (let i = 0; i < 3; i++) await breaker.execute(fail).catch(() => {});
  expect(breaker.state).toBe('closed');
  expect(breaker.stats().window).toEqual({ calls: 3, failures: 3, slowCalls: 0 });
});

it("a policy configure puts in sends its outcomes to the fleet from its first call, not from the next flush: its own verdict opens nothing", async () => {
  const { store, breaker, flushed, flush } = setUp();
  await store.sync();
  breaker.configure({ policy: countWindow({ size: 10, minimumCalls: 2, failureRate: 0.5 }) });
  // Its own window trips at the second failure; the fleet's window is the one that judges.
  for (let i = 0; i < 2; i++) await breaker.execute(fail).catch(() => {});
  await settle();
  expect(breaker.state).toBe('closed');
  flush();
  await settle();
  expect(flushed).toEqual([[expect.objectContaining({ name: 'dep', calls: 2, failures: 2, window: expect.objectContaining({ kind: 'count', size: 10, minimumCalls: 2 }) })]]);
});

it('counts made before an outage are not sent after it: the fleet window takes no stale calls', async () => {
  const { store, breaker, control, flushed, flush } = setUp();
  await store.sync();
  for (let i = 0; i < 3; i++) await breaker.execute(() => Promise.resolve('ok'));
  control.down = true;
  const down = new Promise<void>((resolve) => breaker.on('storeDown', () => resolve()));
  await store.sync();
  await down;
  // A flush while away sends nothing, and what was counted before the outage is dropped.
  flush();
  await settle();
  control.down = false;
  const up = new Promise<void>((resolve) => breaker.on('storeUp', () => resolve()));
  await store.sync();
  await up;
  flush();
  await settle();
  expect(flushed).toEqual([]);
  // Calls after the outage are counted and sent as before.
  await breaker.execute(() => Promise.resolve('ok'));
  flush();
  await settle();
  expect(flushed).toEqual([[expect.objectContaining({ name: 'dep', calls: 1, failures: 0 })]]);
});
