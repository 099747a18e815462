// Outages seen from the shared store, on an in-memory backend: what breakers are told, and what a
// change decided while the store was away becomes. Each case was found by a review and failed
// before its fix; the same faults against a real Redis are in test/redis/faults*.test.ts.
import { describe, expect, it } from 'vitest';
import { CircuitBreaker, circuit } from 'circuitry';
import type { CircuitStore } from 'circuitry';
import { sharedStore } from 'circuitry/store';
import { memoryBackend } from '../helpers/memory-backend.js';
import { fleet, settle } from './fleet.js';

const refuseWrites = (op: string) => (op === 'open' || op === 'close' || op === 'trial' ? Promise.reject(new Error('OOM command not allowed')) : undefined);

/** A breaker on `store` that records storeDown/storeUp, and a call that fails on demand. */
function member(store: CircuitStore, name: string, clock: { now: () => number }) {
  const events: string[] = [];
  const breaker = new CircuitBreaker({ name, registry: false, failureThreshold: 1, recoveryTimeout: 60_000, clock, store, reportError: () => {} });
  breaker.on('storeDown', ({ operation }) => events.push(`down:${operation}`));
  breaker.on('storeUp', ({ downFor }) => events.push(`up:${downFor}`));
  let fail = false;
  const call = circuit(async () => {
    if (fail) throw new Error('dependency failed');
    return 'ok';
  }, breaker);
  return { breaker, events, call, fail: (value: boolean) => void (fail = value) };
}

describe('a store that answers reads but refuses writes (out of memory, a read-only replica)', () => {
  it('is one outage for every breaker of the process, however many breakers it has', async () => {
    let now = 1_000_000;
    const { backend, control } = memoryBackend(() => now);
    const clock = { now: () => now };
    const store = sharedStore(backend, { syncInterval: 600_000 });
    const a = member(store, 'a', clock);
    const b = member(store, 'b', clock);
    await settle();
    await store.sync();
    control.intercept = refuseWrites;
    // The second breaker trips: the probe of an outage goes through the first, whose read works.
    b.fail(true);
    await b.call().catch(() => undefined);
    await settle();
    for (let i = 0; i < 6; i++) {
      now += 100;
      await store.sync();
      await settle();
    }
    expect({ a: a.events, b: b.events, connected: store.connected }).toEqual({ a: ['down:open'], b: ['down:open'], connected: false });
    control.intercept = undefined;
    now += 100;
    await store.sync();
    await settle();
    await store.sync();
    expect({ a: a.events, b: b.events, connected: store.connected }).toEqual({ a: ['down:open', 'up:700'], b: ['down:open', 'up:700'], connected: true });
  });

  it('tells a breaker attached meanwhile of the outage, and counts its time away from then', async () => {
    let now = 1_700_000_000_000;
    const { backend, control } = memoryBackend(() => now);
    const clock = { now: () => now };
    const store = sharedStore(backend, { syncInterval: 600_000 });
    const a = member(store, 'a', clock);
    await settle();
    await store.sync();
    control.intercept = refuseWrites;
    a.fail(true);
    await a.call().catch(() => undefined);
    await settle();
    now += 100;
    await store.sync(); // a read is answered: requests go, the outage goes on
    await settle();
    const joined = member(store, 'joined', clock);
    await settle();
    control.intercept = undefined;
    for (let i = 0; i < 3; i++) {
      now += 100;
      await store.sync();
      await settle();
    }
    expect(joined.events).toEqual(['down:open', 'up:100']);
  });

  it('says storeUp once to a breaker whose record became usable while the store was still away', async () => {
    let now = 1_000_000;
    const { backend, control } = memoryBackend(() => now);
    const clock = { now: () => now };
    const store = sharedStore(backend, { syncInterval: 600_000 });
    control.sim.keys.set('x', { type: 'string' }); // another program's key
    const x = member(store, 'x', clock);
    const a = member(store, 'a', clock);
    await settle();
    await store.sync();
    await settle();
    expect(x.events).toEqual(['down:record']);
    control.intercept = refuseWrites;
    a.fail(true);
    await a.call().catch(() => undefined);
    await settle();
    control.sim.keys.delete('x');
    for (let i = 0; i < 2; i++) {
      now += 100;
      await store.sync();
      await settle();
    }
    control.intercept = undefined;
    for (let i = 0; i < 2; i++) {
      now += 100;
      await store.sync();
      await settle();
    }
    expect(x.events.filter((e) => e.startsWith('up')).length).toBe(1);
    expect(x.events[0]).toBe('down:record');
  });
});

describe('changes decided while the store lost the record', () => {
  for (const first of ['A', 'B'] as const) {
    it(`a reset() by hand during an outage wins when the store comes back empty (${first} syncs first)`, async () => {
      const f = fleet(2);
      const [A, B] = f.processes as [(typeof f.processes)[0], (typeof f.processes)[0]];
      await settle();
      A.dependency('fail');
      for (let i = 0; i < 3; i++) await A.attempt();
      await settle();
      await f.syncAll();
      expect(B.breaker.state).toBe('open');
      f.control.down = true;
      await f.syncAll();
      expect(A.store.connected).toBe(false);
      A.breaker.reset();
      await settle();
      f.control.rows.clear();
      f.control.down = false;
      f.advance(100);
      const [one, two] = first === 'A' ? [A, B] : [B, A];
      await one.store.sync();
      await settle();
      await two.store.sync();
      for (let i = 0; i < 2; i++) {
        await settle();
        await f.syncAll();
      }
      expect({ A: A.breaker.state, B: B.breaker.state, record: f.control.rows.get('dep')?.state }).toEqual({ A: 'closed', B: 'closed', record: 'closed' });
    });
  }

  it('a trial\'s close that finds the record lost goes in as it is: a half-open process asking for the lease then does not re-open the fleet', async () => {
    const f = fleet(2);
    const [A, B] = f.processes as [(typeof f.processes)[0], (typeof f.processes)[0]];
    await settle();
    A.dependency('fail');
    for (let i = 0; i < 3; i++) await A.attempt();
    await settle();
    await f.syncAll();
    A.dependency('ok');
    f.advance(1000);
    // The store restarts empty just before A's close arrives.
    f.control.intercept = (op, work) => {
      if (op !== 'close') return undefined;
      f.control.intercept = undefined;
      f.control.rows.clear();
      return work();
    };
    expect(await A.attempt('trial')).toBe('trial');
    await settle();
    await f.syncAll();
    // B, half-open, gets a call: it must not undo what A's trial found.
    B.dependency('hang');
    void B.attempt('b-trial');
    await settle();
    await f.syncAll();
    await settle();
    expect({ A: A.breaker.state, record: f.control.rows.get('dep')?.state }).toEqual({ A: 'closed', record: 'closed' });
    expect(await A.attempt('after')).toBe('after');
  });
});
