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

/** A store over an in-memory backend on a clock the test moves, and a way to let syncs pass. */
function storeAt(start: number) {
  let now = start;
  const clock = { now: () => now };
  const { backend, control } = memoryBackend(clock.now);
  const store = sharedStore(backend, { syncInterval: 600_000 });
  /** `n` syncs, 100 ms apart. */
  const syncs = async (n: number) => {
    for (let i = 0; i < n; i++) {
      now += 100;
      await store.sync();
      await settle();
    }
  };
  return { clock, control, store, syncs };
}

/** Makes `m`'s next call fail, and lets its trip reach the store. */
async function trip(m: ReturnType<typeof member>) {
  m.fail(true);
  await m.call().catch(() => undefined);
  await settle();
}

describe('a store that answers reads but refuses writes (out of memory, a read-only replica)', () => {
  it('is one outage for every breaker of the process, however many breakers it has', async () => {
    const { clock, control, store, syncs } = storeAt(1_000_000);
    const a = member(store, 'a', clock);
    const b = member(store, 'b', clock);
    await syncs(1);
    control.intercept = refuseWrites;
    // The second breaker trips: the probe of an outage goes through the first, whose read works.
    await trip(b);
    await syncs(6);
    expect({ a: a.events, b: b.events, connected: store.connected }).toEqual({ a: ['down:open'], b: ['down:open'], connected: false });
    control.intercept = undefined;
    await syncs(1);
    await store.sync();
    expect({ a: a.events, b: b.events, connected: store.connected }).toEqual({ a: ['down:open', 'up:700'], b: ['down:open', 'up:700'], connected: true });
  });

  it('tells a breaker attached meanwhile of the outage, and counts its time away from then', async () => {
    const { clock, control, store, syncs } = storeAt(1_700_000_000_000);
    const a = member(store, 'a', clock);
    await syncs(1);
    control.intercept = refuseWrites;
    await trip(a);
    await syncs(1); // a read is answered: requests go, the outage goes on
    const joined = member(store, 'joined', clock);
    await settle();
    control.intercept = undefined;
    await syncs(3);
    expect(joined.events).toEqual(['down:open', 'up:100']);
  });

  it('says storeUp once to a breaker whose record became usable while the store was still away', async () => {
    const { clock, control, store, syncs } = storeAt(1_000_000);
    control.sim.keys.set('x', { type: 'string' }); // another program's key
    const x = member(store, 'x', clock);
    const a = member(store, 'a', clock);
    await syncs(1);
    expect(x.events).toEqual(['down:record']);
    control.intercept = refuseWrites;
    await trip(a);
    control.sim.keys.delete('x');
    await syncs(2);
    control.intercept = undefined;
    await syncs(2);
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
