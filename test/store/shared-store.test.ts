import { CircuitBreaker, sharedStore } from 'circuitry';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { memoryBackend } from '../helpers/memory-backend.js';
import { fleet, settle } from './fleet.js';

let current: ReturnType<typeof fleet> | undefined;
const make = (...args: Parameters<typeof fleet>) => (current = fleet(...args));
afterEach(() => {
  current?.close();
  current = undefined;
  vi.useRealTimers();
});

async function tripProcess0(f: ReturnType<typeof fleet>) {
  const [p0] = f.processes;
  p0!.dependency('fail');
  for (let i = 0; i < 3; i++) await p0!.attempt();
  await settle();
}

describe('sharedStore: one circuit across processes', () => {
  it('makes no store round trip on the closed path', async () => {
    const f = make(3);
    await settle();
    const before = f.control.calls;
    for (let i = 0; i < 1000; i++) await f.processes[0]!.attempt();
    await f.processes[1]!.dependency('fail');
    await f.processes[1]!.attempt();
    expect(f.control.calls).toBe(before);
  });

  it('an open decided by one process is taken in by every process at its next sync', async () => {
    const f = make(3);
    await tripProcess0(f);
    expect(f.processes[0]!.breaker.state).toBe('open');
    expect(f.processes[1]!.breaker.state).toBe('closed');
    await f.syncAll();
    for (const p of f.processes) expect(p.breaker.state).toBe('open');
    // They stop calling the dependency.
    expect(await f.processes[1]!.attempt('b')).toBe('rejected');
    expect(await f.processes[2]!.attempt('c')).toBe('rejected');
    expect(f.processes[1]!.ran).toEqual([]);
    expect(f.processes[2]!.ran).toEqual([]);
    expect(f.processes[1]!.breaker.retryAfter).toBe(1000);
  });

  it('admits exactly one trial across the fleet, and its success closes every process', async () => {
    const f = make(3);
    await tripProcess0(f);
    await f.syncAll();
    f.processes.forEach((p) => p.dependency('ok'));
    f.advance(1000);
    // The first call in each process asks the fleet for the lease and is refused meanwhile.
    expect(await Promise.all(f.processes.map((p) => p.attempt('first')))).toEqual(['rejected', 'rejected', 'rejected']);
    await settle();
    const second = await Promise.all(f.processes.map((p, i) => p.attempt(`trial-${i}`)));
    expect(second.filter((r) => r !== 'rejected')).toHaveLength(1);
    expect(f.processes.flatMap((p) => p.ran).filter((tag) => tag.startsWith('trial'))).toHaveLength(1);
    await settle();
    await f.syncAll();
    for (const p of f.processes) expect(p.breaker.state).toBe('closed');
    expect(await Promise.all(f.processes.map((p) => p.attempt('after')))).toEqual(['after', 'after', 'after']);
  });

  it('a failed trial opens every process again, with the openings counted fleet-wide', async () => {
    const f = make(2, { recoveryTimeout: (n) => 1000 * 2 ** (n - 1) });
    await tripProcess0(f);
    await f.syncAll();
    f.advance(1000);
    const [, p1] = f.processes;
    p1!.dependency('fail');
    await p1!.attempt();
    await settle();
    expect(await p1!.attempt('trial')).toBe('dependency failed');
    await settle();
    await f.syncAll();
    for (const p of f.processes) {
      expect(p.breaker.state).toBe('open');
      expect(p.breaker.retryAfter).toBe(2000);
    }
    expect(f.control.rows.get('dep')!.openings).toBe(2);
  });

  it('a prober that never comes back loses the lease after one open period', async () => {
    const f = make(2);
    await tripProcess0(f);
    await f.syncAll();
    f.advance(1000);
    const [p0, p1] = f.processes;
    await p0!.attempt();
    await settle();
    // p0 holds the lease and then goes silent; p1 is refused for as long as the lease runs.
    await p1!.attempt();
    await settle();
    expect(await p1!.attempt()).toBe('rejected');
    expect(p1!.breaker.retryAfter).toBeGreaterThan(0);
    f.advance(1000);
    p1!.dependency('ok');
    await p1!.attempt();
    await settle();
    expect(await p1!.attempt('probe')).toBe('probe');
    expect(p1!.breaker.state).toBe('closed');
    expect(p0!.ran).toEqual(['call', 'call', 'call']);
  });

  it('a process clock running ahead neither shortens the open period nor earns an early trial', async () => {
    const f = make(2, {}, [0, 10_000]);
    await tripProcess0(f);
    await f.syncAll();
    const [, fast] = f.processes;
    expect(fast!.breaker.retryAfter).toBe(1000);
    f.advance(999);
    expect(fast!.breaker.state).toBe('open');
    expect(await fast!.attempt()).toBe('rejected');
    f.advance(1);
    expect(fast!.breaker.state).toBe('half-open');
  });

  it('a close or open by hand in one process is kept for the whole fleet', async () => {
    const f = make(3);
    await tripProcess0(f);
    await f.syncAll();
    f.processes[2]!.breaker.close();
    await settle();
    await f.syncAll();
    for (const p of f.processes) expect(p.breaker.state).toBe('closed');
    f.processes[1]!.breaker.open();
    await settle();
    await f.syncAll();
    for (const p of f.processes) expect(p.breaker.state).toBe('open');
  });

  it('an isolated or disabled process keeps its own state whatever the fleet decides', async () => {
    const f = make(3);
    f.processes[1]!.breaker.isolate();
    f.processes[2]!.breaker.disable();
    await tripProcess0(f);
    await f.syncAll();
    expect(f.processes[1]!.breaker.state).toBe('isolated');
    expect(f.processes[2]!.breaker.state).toBe('disabled');
  });

  it('takes in a fleet that opened before this process started', async () => {
    const f = make(1);
    await tripProcess0(f);
    const late = new CircuitBreaker({ name: 'dep', registry: false, store: f.processes[0]!.store, clock: { now: () => 0 } });
    await settle();
    expect(late.state).toBe('open');
    expect(late.retryAfter).toBe(1000);
  });
});

describe('sharedStore: when the store fails', () => {
  it('calls never fail because of it: each process decides alone, says so once, and merges back when it returns', async () => {
    const f = make(3);
    const downs: unknown[] = [];
    const ups: number[] = [];
    f.processes[0]!.breaker.on('storeDown', ({ operation }) => downs.push(operation));
    f.processes[0]!.breaker.on('storeUp', ({ downFor }) => ups.push(downFor));
    f.control.down = true;
    await tripProcess0(f);
    await f.syncAll();
    await f.syncAll();
    expect(f.processes[0]!.breaker.state).toBe('open');
    expect(f.processes[1]!.breaker.state).toBe('closed');
    expect(await f.processes[1]!.attempt('still-served')).toBe('still-served');
    expect(downs).toEqual(['open']);
    expect(f.reports.filter((r) => r.process === 0).map((r) => r.source)).toEqual(['store']);
    f.advance(200);
    f.control.down = false;
    await f.syncAll();
    await settle();
    expect(ups).toEqual([200]);
    // The open that could not be published goes out now, and the others take it in.
    await f.syncAll();
    for (const p of f.processes) expect(p.breaker.state).toBe('open');
    expect(f.processes[2]!.breaker.retryAfter).toBe(800);
  });

  it('while the store is away the open period ends in each process, which runs its own trials', async () => {
    const f = make(2);
    await tripProcess0(f);
    await f.syncAll();
    f.control.down = true;
    await f.syncAll();
    f.advance(1000);
    f.processes.forEach((p) => p.dependency('ok'));
    expect(await Promise.all(f.processes.map((p) => p.attempt('local-trial')))).toEqual(['local-trial', 'local-trial']);
    for (const p of f.processes) expect(p.breaker.state).toBe('closed');
  });

  it('a store that never answers holds no call: past the timeout the process decides alone', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] });
    const f = make(2);
    await tripProcess0(f);
    await f.syncAll();
    f.advance(1000);
    f.control.hang = true;
    const [p0] = f.processes;
    p0!.dependency('ok');
    expect(await p0!.attempt('asks')).toBe('rejected');
    vi.advanceTimersByTime(200);
    await vi.waitFor(() => expect(p0!.store.connected).toBe(false));
    expect(await p0!.attempt('local')).toBe('local');
    // The close it publishes waits at most the timeout too; then only the two sync intervals remain.
    expect(p0!.breaker.state).toBe('closed');
    vi.advanceTimersByTime(200);
    expect(vi.getTimerCount()).toBe(2);
    f.close();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('a record the store lost (a restart without persistence) is put back from what the processes know', async () => {
    const f = make(2);
    await tripProcess0(f);
    await f.syncAll();
    f.control.rows.clear();
    f.advance(300);
    await f.syncAll();
    await settle();
    const row = f.control.rows.get('dep');
    expect(row?.state).toBe('open');
    expect(row!.openedAt + row!.period).toBe(1_000_000 + 1000);
    await f.syncAll();
    for (const p of f.processes) expect(p.breaker.retryAfter).toBe(700);
  });
});

describe('sharedStore: input', () => {
  const { backend } = memoryBackend(() => 0);

  it('refuses bad options, naming them', () => {
    expect(() => sharedStore(backend, { syncInterval: 0 })).toThrow(new RangeError('syncInterval must be a positive finite number of milliseconds, got 0'));
    expect(() => sharedStore(backend, { timeout: -1 })).toThrow(RangeError);
    expect(() => sharedStore(backend, { owner: '' })).toThrow(TypeError);
    expect(() => sharedStore(backend, { interval: 5 } as never)).toThrow(new TypeError('unknown store option "interval"'));
    expect(() => sharedStore({ read() {} } as never)).toThrow(/backend must be an object with read, open, close and trial methods/);
  });

  it('a breaker needs a name to share, a real store, and cannot change store later', () => {
    const store = sharedStore(backend, { syncInterval: 60_000 });
    expect(() => new CircuitBreaker({ store })).toThrow(new TypeError('store needs a name: processes share a circuit by its name'));
    expect(() => new CircuitBreaker({ name: 'x', registry: false, store: {} as never })).toThrow(/store must be a store made by redisStore or sharedStore/);
    const breaker = new CircuitBreaker({ name: 'x', registry: false, store });
    expect(() => breaker.configure({ store } as never)).toThrow(new TypeError('store cannot be changed by configure'));
    store.close();
  });
});
