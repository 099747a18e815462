import { Redis } from 'ioredis';
import { redisStore } from 'circuitry/redis';
import { describe, expect, it } from 'vitest';
import { cleanups, CLIENT, control, converges, fleet, member, nextPrefix, openFromA, periodPasses, persistentServer, record, server, settled, sleep, until, useFaultHooks } from '../helpers/redis-faults.js';

// Fault injection around a real redis-server: every test has a Redis of its own (it is killed,
// paused, flushed, starved of memory, locked), and two processes sharing one breaker name, one
// on ioredis and one on node-redis. Breaker clocks are real time plus a shift the test moves,
// so open periods pass without sleeping; Redis's clock is real, and waits on state are polls
// with a bound, never fixed sleeps.
// The helpers are in test/helpers/redis-faults.ts.

// Bounds in ms are not speeds: under the store's timeout means a call did not wait for Redis,
// under the timeout plus as much again means it waited at most that timeout, on a loaded machine.

useFaultHooks();

describe('Redis killed (SIGKILL)', () => {
  it('with calls in flight: callers get their own results, each process decides alone, one storeDown and one storeUp each, and after an empty restart the open decided meanwhile reaches the other process', async () => {
    const s = await server();
    const f = await fleet(s);
    const releaseA = f.A.hold();
    const releaseB = f.B.hold();
    const inFlight = [f.A.attempt(), f.B.attempt()];
    await s.stop();
    releaseA();
    releaseB();
    expect(await Promise.all(inFlight)).toEqual(['ok', 'ok']);
    // A trips while Redis is dead: it decides alone, at once.
    f.A.dependency(true);
    const trip = await f.A.timed();
    expect(trip.result).toBe('dependency failed');
    expect(trip.ms).toBeLessThan(150);
    expect(f.A.breaker.state).toBe('open');
    expect(await f.A.attempt()).toBe('CircuitOpenError');
    f.A.dependency(false);
    await until('both stores see the outage', () => !f.storeA.connected && !f.storeB.connected);
    // The outage itself: five sync intervals. A dead server cannot be asked its time, and its
    // probes wait in ioredis's offline queue, so there is no count to poll: a fixed wait.
    await sleep(500);
    expect([f.A.downs(), f.B.downs()]).toEqual([1, 1]);
    expect(f.B.breaker.state).toBe('closed');
    await s.start();
    await settled(f);
    await until('B takes in the open A decided during the outage', () => f.B.breaker.state === 'open', 1000);
    expect([f.A.downs(), f.B.downs(), f.A.ups(), f.B.ups()]).toEqual([1, 1, 1, 1]);
    expect(f.A.errors).toHaveLength(1);
    expect(f.B.errors).toHaveLength(1);
  });

  it('while A holds the trial lease, restarted with its old data (append-only file): A\'s trial closes the circuit for the fleet', async () => {
    const s = await persistentServer();
    const raw = await control(s);
    const f = await fleet(s, { recoveryTimeout: 300 });
    await openFromA(f);
    await periodPasses(f, raw, 320);
    const release = f.A.hold();
    const trial = f.A.attempt();
    await until('A holds the lease', async () => ((await raw('HGET', f.key, 'l')) as string | null)?.length !== 0);
    expect(await f.B.attempt()).toBe('CircuitOpenError');
    await s.stop();
    release();
    expect(await trial).toBe('ok');
    expect(f.A.breaker.state).toBe('closed');
    await until('both stores see the outage', () => !f.storeA.connected && !f.storeB.connected);
    await s.start();
    // The record comes back as it was (open, A's lease in it); the stores may already have
    // written over it by now, so only the outcome is checked.
    await settled(f);
    await until('B takes in the close', () => f.B.breaker.state === 'closed', 1000);
    expect((await record(raw, f.key)).s).toBe('closed');
    expect(await f.B.attempt()).toBe('ok');
    await converges(f);
  });

  // It failed before the fix: a close decided during the outage was lost when Redis came back
  // empty. B, which only knew the open (already over, B half-open), put it back, and A, which had
  // closed, took it in: { A: 'half-open', B: 'half-open', record: 'open' }, and a second trial
  // round. Now only an open still running is put back into a lost record, and a trial's close
  // that finds no record goes in as it is.
  it('while A holds the trial lease, restarted empty: A\'s successful trial is not undone by B\'s older open', async () => {
    const s = await server();
    const raw = await control(s);
    const f = await fleet(s, { recoveryTimeout: 300 });
    await openFromA(f);
    await periodPasses(f, raw, 320);
    const release = f.A.hold();
    const trial = f.A.attempt();
    await until('A holds the lease', async () => ((await raw('HGET', f.key, 'l')) as string | null)?.length !== 0);
    await s.stop();
    release();
    expect(await trial).toBe('ok');
    expect(f.A.breaker.state).toBe('closed');
    await until('both stores see the outage', () => !f.storeA.connected && !f.storeB.connected);
    await s.start();
    await settled(f);
    // Two syncs after both answered again: what the fleet made of it.
    await Promise.all([f.storeA.sync(), f.storeB.sync()]);
    await Promise.all([f.storeA.sync(), f.storeB.sync()]);
    const after = { A: f.A.breaker.state, B: f.B.breaker.state, record: (await record(raw, f.key)).s ?? 'none' };
    // A's trial verdict went into the lost record as it is, and B took it in.
    expect(after).toEqual({ A: 'closed', B: 'closed', record: 'closed' });
    // A trip reaches the fleet as before.
    await settled(f);
    await Promise.all([f.storeA.sync(), f.storeB.sync()]);
    await converges(f);
  });
});

describe.each(['CLIENT PAUSE 2000 ALL', 'DEBUG SLEEP 2'])('Redis stalls (%s)', (fault) => {
  it('a call that asks for the lease waits no longer than the store\'s timeout, closed calls never wait, one storeDown and one storeUp each, and the fleet converges after', async () => {
    const s = await server();
    const raw = await control(s);
    const f = await fleet(s, { recoveryTimeout: 300, timeout: 150 });
    await openFromA(f);
    await periodPasses(f, raw, 320);
    // CLIENT PAUSE answers at once; DEBUG SLEEP answers when it ends (not awaited).
    if (fault.startsWith('CLIENT')) await raw('CLIENT', 'PAUSE', '2000', 'ALL');
    else void raw('DEBUG', 'SLEEP', '2');
    await sleep(20);
    const [a, b] = await Promise.all([f.A.timed(), f.B.timed()]);
    // Each asked for the lease, waited for the store's timeout (150 ms), then ran its own trial.
    expect([a.result, b.result]).toEqual(['ok', 'ok']);
    expect(a.ms).toBeLessThan(150 + 150);
    expect(b.ms).toBeLessThan(150 + 150);
    expect(f.A.events).toEqual(['down:trial']);
    expect(f.B.events).toEqual(['down:trial']);
    expect(f.storeA.connected).toBe(false);
    const closedCall = await f.A.timed();
    expect(closedCall).toMatchObject({ result: 'ok' });
    expect(closedCall.ms).toBeLessThan(150);
    await settled(f);
    expect(f.A.events).toEqual(['down:trial', 'up']);
    expect(f.B.events).toEqual(['down:trial', 'up']);
    // The lease requests given up on were refused as late when Redis ran them: no lease left behind.
    expect((await record(raw, f.key)).l ?? '').toBe('');
    expect([f.A.breaker.state, f.B.breaker.state]).toEqual(['closed', 'closed']);
    await converges(f);
  });
});

describe('Redis loses its scripts or its keys', () => {
  it('SCRIPT FLUSH mid-run: the script is sent again, no storeDown, the open reaches the other process', async () => {
    const s = await server();
    const raw = await control(s);
    const f = await fleet(s, { recoveryTimeout: 300 });
    await raw('SCRIPT', 'FLUSH');
    await openFromA(f);
    expect((await record(raw, f.key)).s).toBe('open');
    await raw('SCRIPT', 'FLUSH');
    // The lease request after a flush goes by EVAL too.
    await periodPasses(f, raw, 320);
    expect(await f.A.attempt()).toBe('ok');
    await until('B takes in A\'s close', () => f.B.breaker.state === 'closed');
    await raw('SCRIPT', 'FLUSH');
    await converges(f);
    expect([f.A.events, f.B.events, f.A.errors, f.B.errors]).toEqual([[], [], [], []]);
  });

  it('FLUSHALL mid-open: the record is put back with the time already elapsed, no storeDown, both stay open', async () => {
    const s = await server();
    const raw = await control(s);
    const f = await fleet(s, { recoveryTimeout: 5000 });
    await openFromA(f);
    const before = await record(raw, f.key);
    await raw('FLUSHALL');
    await until('the record is back', async () => (await record(raw, f.key)).s === 'open');
    const after = await record(raw, f.key);
    // Put back as opened when it was, not anew.
    expect(Number(after.o)).toBeLessThanOrEqual(Number(before.o) + 5);
    expect(after.p).toBe('5000');
    expect([f.A.breaker.state, f.B.breaker.state]).toEqual(['open', 'open']);
    expect(f.B.breaker.retryAfter).toBeLessThanOrEqual(5000);
    expect([f.A.events, f.B.events]).toEqual([[], []]);
  });

  for (const [what, overwrite] of [
    ['a string (SET)', ['SET', 'x']],
    ['a list (RPUSH)', ['RPUSH', 'a', 'b']],
  ] as const) {
    it(`the key overwritten mid-open with ${what}: each breaker decides alone (storeDown 'record' once), nothing writes over it, storeUp once it is gone`, async () => {
      const s = await server();
      const raw = await control(s);
      const f = await fleet(s, { recoveryTimeout: 300 });
      await openFromA(f);
      await raw('DEL', f.key);
      await raw(overwrite[0], f.key, ...overwrite.slice(1));
      await until('both report the record', () => f.A.downs() === 1 && f.B.downs() === 1);
      expect([f.A.events, f.B.events]).toEqual([['down:record'], ['down:record']]);
      expect([f.storeA.connected, f.storeB.connected]).toEqual([true, true]);
      // Alone: each ends its open period by its own clock and runs its own trial, at once.
      f.A.advance(400);
      f.B.advance(400);
      expect(await f.A.attempt()).toBe('ok');
      expect(await f.B.attempt()).toBe('ok');
      await Promise.all([f.storeA.sync(), f.storeB.sync()]);
      expect(await raw('TYPE', f.key)).toBe(overwrite[0] === 'SET' ? 'string' : 'list');
      expect([f.A.downs(), f.B.downs()]).toEqual([1, 1]);
      await raw('DEL', f.key);
      await until('both share again', () => f.A.ups() === 1 && f.B.ups() === 1);
      await converges(f);
    });
  }
});

describe('Redis refuses writes: maxmemory 1, noeviction (OOM)', () => {
  // It failed before the fix: reads still succeed under OOM, writes fail. The store went away on
  // the failed write, the next probe read brought it back (storeUp), the pending open went again
  // and failed (storeDown): { downs: 4, ups: 3, reported: 4 } over ten requests. Now, after a
  // failed write, only a write that lands or a whole sync without a failure ends the outage.
  it('storeDown once for the whole OOM outage, storeUp once when writes work again, and the open decided meanwhile reaches the other process', async () => {
    const s = await server();
    const raw = await control(s);
    const f = await fleet(s, { recoveryTimeout: 60_000 });
    await raw('CONFIG', 'SET', 'maxmemory-policy', 'noeviction');
    await raw('CONFIG', 'SET', 'maxmemory', '1');
    f.A.dependency(true);
    expect(await f.A.attempt()).toBe('dependency failed');
    expect(f.A.breaker.state).toBe('open');
    await until('A\'s store is away', () => !f.storeA.connected);
    // The outage, counted in requests A's store sent: ten more (about five sync intervals).
    const sent = f.ca.sent();
    await until('ten more requests', () => f.ca.sent() >= sent + 10);
    // A still decides alone all along.
    expect(await f.A.attempt()).toBe('CircuitOpenError');
    const during = { downs: f.A.downs(), ups: f.A.ups(), reported: f.A.errors.length };
    expect(during).toEqual({ downs: 1, ups: 0, reported: 1 });
    await raw('CONFIG', 'SET', 'maxmemory', '0');
    await until('B takes in the open A decided under OOM', () => f.B.breaker.state === 'open', 1000);
    await settled(f);
    expect(f.B.events).toEqual([]);
  });
});

describe('connections dropped and refused', () => {
  it('CLIENT KILL TYPE normal, repeatedly, with calls and syncs going on: every call gets a result, every storeDown is followed by one storeUp, the fleet converges', async () => {
    const s = await server();
    const raw = await control(s);
    const f = await fleet(s, { recoveryTimeout: 300, syncInterval: 20 });
    const results = new Set<string>();
    for (let i = 0; i < 10; i++) {
      // The control connection is killed too; its reply may be lost with it.
      await raw('CLIENT', 'KILL', 'TYPE', 'normal').catch(() => {});
      for (const r of await Promise.all([f.A.attempt(), f.B.attempt()])) results.add(r);
      await sleep(15);
    }
    expect([...results]).toEqual(['ok']);
    await settled(f);
    expect(f.A.downs()).toBe(f.A.ups());
    expect(f.B.downs()).toBe(f.B.ups());
    await converges(f);
  });

  it('a node-redis client never connected: storeDown at once, store.connected false, the breaker decides alone; after connect() storeUp and the open decided meanwhile is published', async () => {
    const s = await server();
    const raw = await control(s);
    const c = await CLIENT['node-redis'](s.url, false);
    const prefix = nextPrefix('never');
    const store = redisStore(c.counted, { prefix, syncInterval: 100, timeout: 150 });
    cleanups.push(() => store.close());
    const p = member(store);
    await until('storeDown', () => p.downs() === 1);
    expect(store.connected).toBe(false);
    expect(String(p.errors[0])).toMatch(/closed/);
    p.dependency(true);
    expect(await p.attempt()).toBe('dependency failed');
    expect(p.breaker.state).toBe('open');
    // Three more probes, each refused at once (the client is closed): still one outage.
    const probed = c.sent();
    await until('three more probes', () => c.sent() >= probed + 3, 2000);
    expect(p.downs()).toBe(1);
    expect(c.pending()).toBe(0);
    await c.client.connect();
    await until('storeUp', () => p.ups() === 1 && store.connected, 2000);
    await until('the open is in Redis', async () => (await record(raw, `${prefix}dep`)).s === 'open');
  });

  it('requirepass set after connecting, then the connections dropped (NOAUTH on every request): one storeDown, alone meanwhile, storeUp and convergence once the password is cleared', async () => {
    const s = await server();
    const raw = await control(s);
    const f = await fleet(s, { recoveryTimeout: 60_000 });
    await raw('CONFIG', 'SET', 'requirepass', 'secret');
    // Connections already open stay authenticated; new ones are refused.
    await raw('CLIENT', 'KILL', 'TYPE', 'normal').catch(() => {});
    await until('both stores away', () => !f.storeA.connected && !f.storeB.connected, 2000);
    expect(f.A.errors.map(String).join()).toMatch(/NOAUTH/);
    expect(f.B.errors.map(String).join()).toMatch(/NOAUTH/);
    f.A.dependency(true);
    expect(await f.A.attempt()).toBe('dependency failed');
    f.A.dependency(false);
    // Three more probes from each store, each refused at once (NOAUTH): still one outage.
    const [sentA, sentB] = [f.ca.sent(), f.cb.sent()];
    await until('three more probes each', () => f.ca.sent() >= sentA + 3 && f.cb.sent() >= sentB + 3, 2000);
    expect([f.A.downs(), f.B.downs(), f.A.ups(), f.B.ups()]).toEqual([1, 1, 0, 0]);
    const admin = new Redis(s.url, { password: 'secret', maxRetriesPerRequest: null });
    admin.on('error', () => {});
    await admin.call('CONFIG', 'SET', 'requirepass', '');
    admin.disconnect();
    await settled(f);
    expect([f.A.ups(), f.B.ups()]).toEqual([1, 1]);
    await until('B takes in the open A decided while locked out', () => f.B.breaker.state === 'open', 1000);
  });
});

describe('a change decided while the one before it is on its way (found after a stall, shown without a fault)', () => {
  // It failed before the fix: the answer to an earlier publish was taken in over a later local
  // change. A's trial closes the circuit and publishes the close; before Redis answers, A's next
  // call fails and A trips. The close's answer (closed, new generation) was reconciled against
  // A's local open and adopted as a close decided elsewhere: A went open -> closed 1 ms after the
  // trip, and B never opened. After a stall both processes flush their pending closes at once,
  // so a trip right after recovery fell in that window (CLIENT PAUSE: 4 runs in 4).
  it('a trip made while the close before it is on its way is kept and reaches the other process', async () => {
    const s = await server();
    const raw = await control(s);
    const f = await fleet(s, { recoveryTimeout: 300 });
    await openFromA(f);
    await periodPasses(f, raw, 320);
    expect(await f.A.attempt()).toBe('ok');
    expect(f.A.breaker.state).toBe('closed');
    // The close is on its way to Redis now; A's next call fails.
    f.A.dependency(true);
    expect(await f.A.attempt()).toBe('dependency failed');
    expect(f.A.breaker.state).toBe('open');
    await settled(f);
    await Promise.all([f.storeA.sync(), f.storeB.sync()]);
    expect({ A: f.A.breaker.state, record: (await record(raw, f.key)).s }).toEqual({ A: 'open', record: 'open' });
    await until('B takes in the open', () => f.B.breaker.state === 'open', 600);
  });
});

describe('a breaker attached while Redis is away', () => {
  // It failed before the fix: a breaker attached during an outage was never told (no storeDown,
  // no reportError) that it decided alone, yet got a storeUp when Redis answered: ['up'].
  it('hears storeDown for the outage it joined before it hears storeUp', async () => {
    const s = await server();
    const c = await CLIENT.ioredis(s.url);
    const store = redisStore(c.counted, { prefix: nextPrefix('late-attach'), syncInterval: 100, timeout: 150 });
    cleanups.push(() => store.close());
    const first = member(store, 'first');
    await store.sync();
    await s.stop();
    await until('the store is away', () => !store.connected);
    const joined = member(store, 'joined');
    await s.start();
    await until('the store is back', () => store.connected && first.ups() === 1, 5000);
    expect(first.events).toEqual(['down:sync', 'up']);
    expect(joined.events).toEqual(['down:sync', 'up']);
  });
});
