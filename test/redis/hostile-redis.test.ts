import { CircuitBreaker, circuit } from 'circuitry';
import type { CircuitStore } from 'circuitry';
import { redisStore } from 'circuitry/redis';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { redisTimePasses, startRedis } from '../helpers/redis-server.js';

// Faults a real redis-server can have: frozen (SIGSTOP), keys it did not get from circuitry,
// records from a clock ahead of its own. Breaker clocks are real time plus a shift the test
// moves, so open periods pass without sleeping; Redis's own clock is real.
let redis: Awaited<ReturnType<typeof startRedis>>;
beforeAll(async () => {
  redis = await startRedis(['--enable-debug-command', 'yes']);
});
afterAll(() => redis.stop());

const quits: (() => unknown)[] = [];
afterEach(async () => {
  redis.signal('SIGCONT');
  for (const quit of quits.splice(0)) await quit();
});

let n = 0;

/**
 * Both clients circuitry/redis supports, each connected to the test's Redis: `client` is given to
 * redisStore, `counted` is the same client counting the commands it holds unanswered, `raw` sends
 * one command.
 */
const CONNECT = {
  async ioredis() {
    const client = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: null });
    client.on('error', () => {});
    await client.connect();
    let pending = 0;
    const counted = {
      call: (...args: [string, ...string[]]) => {
        pending += 1;
        return client.call(...args).finally(() => (pending -= 1));
      },
    };
    quits.push(() => client.quit().catch(() => client.disconnect()));
    return { client, counted, pending: () => pending, raw: (...args: string[]) => client.call(...(args as [string, ...string[]])) };
  },
  async 'node-redis'() {
    const client = createClient({ url: redis.url });
    client.on('error', () => {});
    await client.connect();
    let pending = 0;
    const counted = {
      sendCommand: (args: string[]) => {
        pending += 1;
        return client.sendCommand(args).finally(() => (pending -= 1));
      },
    };
    quits.push(() => client.close().catch(() => client.destroy()));
    return { client, counted, pending: () => pending, raw: (...args: string[]) => client.sendCommand(args) };
  },
};

/** Real time plus a shift the test moves forward. */
function shiftedClock() {
  let shift = 0;
  return { now: () => Date.now() + shift, advance: (ms: number) => void (shift += ms) };
}

/** Resolves when `breaker` emits `event`; rejects after `ms`, so no wait is unbounded. */
function when(breaker: CircuitBreaker, event: 'storeDown' | 'storeUp', ms = 2000): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${event} within ${ms} ms`)), ms);
    const off = breaker.on(event, (e) => (clearTimeout(timer), off(), resolve(e)));
  });
}

function process(store: CircuitStore, name = 'dep', extra: Record<string, unknown> = {}) {
  const clock = shiftedClock();
  const errors: unknown[] = [];
  const breaker = new CircuitBreaker({ name, registry: false, failureThreshold: 1, recoveryTimeout: 1000, clock, store, reportError: (e) => errors.push(e), ...extra });
  let fail = false;
  const call = circuit(async () => {
    if (fail) throw new Error('dependency failed');
    return 'ok';
  }, breaker);
  return {
    breaker,
    clock,
    errors,
    attempt: () => call().catch((e: Error) => (e.name === 'Error' ? e.message : e.name)),
    dependency: (failing: boolean) => void (fail = failing),
  };
}

describe.each(Object.keys(CONNECT) as (keyof typeof CONNECT)[])('redisStore under a hostile Redis, with %s', (clientName) => {
  const connect = CONNECT[clientName];

  it('a trip delivered after Redis was frozen does not re-open a fleet that recovered meanwhile', async () => {
    const prefix = `late:${++n}:`;
    const a = await connect();
    const b = await connect();
    const storeA = redisStore(a.client, { prefix, syncInterval: 60_000, timeout: 100 });
    const storeB = redisStore(b.client, { prefix, syncInterval: 60_000, timeout: 100 });
    const pa = process(storeA);
    const pb = process(storeB);
    await storeA.sync();
    await storeB.sync();
    redis.signal('SIGSTOP');
    const down = when(pa.breaker, 'storeDown');
    pa.dependency(true);
    expect(await pa.attempt()).toBe('dependency failed');
    expect(pa.breaker.state).toBe('open');
    await down;
    // The dependency recovers; A's own trial closes it while Redis is still frozen.
    pa.dependency(false);
    pa.clock.advance(1300);
    expect(await pa.attempt()).toBe('ok');
    expect(pa.breaker.state).toBe('closed');
    // The fault itself: Redis stays frozen well past the store's timeout (100 ms), so the queued
    // trip is history when Redis runs it. A frozen server cannot be asked its time.
    await new Promise((resolve) => setTimeout(resolve, 300));
    redis.signal('SIGCONT');
    // Redis has run what was queued once it answers a command sent after it.
    await a.raw('PING');
    for (let i = 0; i < 2; i++) await Promise.all([storeA.sync(), storeB.sync()]);
    expect(await a.raw('HGET', `${prefix}dep`, 's')).not.toBe('open');
    expect(pa.breaker.state).toBe('closed');
    expect(pb.breaker.state).toBe('closed');
    expect(await pb.attempt()).toBe('ok');
    storeA.close();
    storeB.close();
  });

  it('a frozen Redis gets no pile of commands: one read per breaker, then a probe, replaced only after doubling waits', async () => {
    const prefix = `pile:${++n}:`;
    const c = await connect();
    const store = redisStore(c.counted, { prefix, syncInterval: 50, timeout: 100 });
    const breakers = Array.from({ length: 100 }, (_, i) => process(store, `svc${i}`));
    await store.sync();
    redis.signal('SIGSTOP');
    const down = when(breakers[0]!.breaker, 'storeDown');
    await down;
    // The fault itself: 30 sync intervals of hang, during which the store keeps trying. A frozen
    // server cannot be asked its time, so this one is counted on the wall clock.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(c.pending()).toBeLessThanOrEqual(3 * breakers.length + 1);
    expect(c.pending()).toBeLessThanOrEqual(breakers.length + 1);
    redis.signal('SIGCONT');
    await when(breakers[0]!.breaker, 'storeUp');
    store.close();
  });

  it('a record with a generation that is not a number is that breaker\'s problem: it decides alone, said once', async () => {
    const prefix = `bad:${++n}:`;
    const c = await connect();
    await c.raw('HSET', `${prefix}dep`, 's', 'open', 'g', 'x', 'o', '0', 'p', '1000', 'n', '1', 'l', '', 'u', '0');
    const store = redisStore(c.client, { prefix, syncInterval: 60_000, timeout: 1000 });
    const p = process(store);
    const other = process(store, 'healthy');
    const downs: unknown[] = [];
    p.breaker.on('storeDown', (e) => downs.push(e));
    other.breaker.on('storeDown', (e) => downs.push(e));
    await store.sync();
    p.dependency(true);
    expect(await p.attempt()).toBe('dependency failed');
    await store.sync();
    await store.sync();
    p.dependency(false);
    p.clock.advance(1001);
    // The trial runs here, alone, instead of waiting for a lease a bad record can never give.
    expect(p.breaker.retryAfter).toBe(0);
    expect(await p.attempt()).toBe('ok');
    expect(p.breaker.state).toBe('closed');
    expect(downs).toHaveLength(1);
    expect(downs[0]).toMatchObject({ operation: 'record' });
    expect(store.connected).toBe(true);
    // Nothing wrote over it; once it is gone the breaker shares again.
    expect(await c.raw('HGET', `${prefix}dep`, 'g')).toBe('x');
    await c.raw('DEL', `${prefix}dep`);
    const up = when(p.breaker, 'storeUp');
    await store.sync();
    await up;
    p.dependency(true);
    expect(await p.attempt()).toBe('dependency failed');
    await store.sync();
    expect(await c.raw('HGET', `${prefix}dep`, 's')).toBe('open');
    store.close();
  });

  it('an open time an hour ahead of Redis\'s clock refuses no longer than the record\'s own period', async () => {
    const prefix = `ahead:${++n}:`;
    const c = await connect();
    const [seconds] = (await c.raw('TIME')) as string[];
    const hourAhead = String(Number(seconds) * 1000 + 3_600_000);
    await c.raw('HSET', `${prefix}dep`, 's', 'open', 'g', '5', 'o', hourAhead, 'p', '1000', 'n', '1', 'l', '', 'u', '0');
    const store = redisStore(c.client, { prefix, syncInterval: 60_000, timeout: 1000 });
    const p = process(store);
    await store.sync();
    expect(p.breaker.state).toBe('open');
    expect(p.breaker.retryAfter).toBeLessThanOrEqual(1000);
    store.close();
  });

  it('a lease held by a stranger until an hour ahead lapses within the record\'s period', async () => {
    const prefix = `lease:${++n}:`;
    const c = await connect();
    const [seconds] = (await c.raw('TIME')) as string[];
    const t = Number(seconds) * 1000;
    await c.raw('HSET', `${prefix}dep`, 's', 'open', 'g', '5', 'o', String(t - 5000), 'p', '200', 'n', '1', 'l', 'stranger', 'u', String(t + 3_600_000));
    const store = redisStore(c.client, { prefix, syncInterval: 60_000, timeout: 1000 });
    const p = process(store, 'dep', { recoveryTimeout: 200 });
    await store.sync();
    p.clock.advance(200);
    expect(await p.attempt()).toBe('CircuitOpenError');
    // Redis's clock is the one that must move here: at most one period (200 ms) plus slack.
    await redisTimePasses(c.raw, 300);
    p.clock.advance(300);
    expect(await p.attempt()).toBe('ok');
    store.close();
  });

  it('one foreign key on the prefix disturbs no other breaker: said once, no store-wide outage', async () => {
    const prefix = `foreign:${++n}:`;
    const c = await connect();
    await c.raw('SET', `${prefix}svc7`, 'not a hash');
    const store = redisStore(c.client, { prefix, syncInterval: 60_000, timeout: 1000 });
    const ps = Array.from({ length: 10 }, (_, i) => process(store, `svc${i}`));
    const downs: string[] = [];
    const errors: unknown[] = [];
    ps.forEach((p, i) => p.breaker.on('storeDown', () => downs.push(`svc${i}`)));
    for (let i = 0; i < 5; i++) await store.sync();
    ps.forEach((p) => errors.push(...p.errors));
    expect(downs).toEqual(['svc7']);
    expect(errors).toHaveLength(1);
    expect(store.connected).toBe(true);
    // Every other breaker still shares: an open reaches Redis.
    ps[3]!.dependency(true);
    await ps[3]!.attempt();
    await store.sync();
    expect(await c.raw('HGET', `${prefix}svc3`, 's')).toBe('open');
    store.close();
  });

  it('refuses a syncInterval or timeout beyond Node\'s timer limit, naming it', async () => {
    const c = await connect();
    expect(() => redisStore(c.client, { syncInterval: 2 ** 31 })).toThrow(RangeError);
    expect(() => redisStore(c.client, { syncInterval: 2 ** 31 })).toThrow(/syncInterval/);
    expect(() => redisStore(c.client, { timeout: 2 ** 31 })).toThrow(/timeout.*2147483648/);
    expect(() => redisStore(c.client, { timeout: 2 ** 31 - 1 })).not.toThrow();
  });
});

describe('redisStore over ioredis with lazyConnect', () => {
  it('an outage before the first connection loses no time: 2.4 s after a trip, with a 3 s period, at most 0.6 s left', async () => {
    // A Redis of its own, stopped before the client ever connects.
    const own = await startRedis();
    await own.stop();
    const client = new Redis(own.url, { lazyConnect: true, maxRetriesPerRequest: null, retryStrategy: () => 20 });
    client.on('error', () => {});
    try {
      const store = redisStore(client, { prefix: 'lazy:', syncInterval: 60_000, timeout: 100 });
      const p = process(store, 'dep', { recoveryTimeout: 3000 });
      const down = when(p.breaker, 'storeDown');
      p.dependency(true);
      expect(await p.attempt()).toBe('dependency failed');
      await down;
      // 2.4 s of outage, on this process's clock; the client holds what the store sent meanwhile.
      p.clock.advance(2400);
      const up = when(p.breaker, 'storeUp', 5000);
      await own.start();
      void store.sync();
      await up;
      await store.sync();
      await store.sync();
      expect(p.breaker.state).toBe('open');
      expect(p.breaker.retryAfter).toBeLessThanOrEqual(700);
      const [seconds, micros] = (await client.call('TIME')) as string[];
      const redisNow = Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
      const openedAt = Number(await client.call('HGET', 'lazy:dep', 'o'));
      expect(openedAt + 3000 - redisNow).toBeLessThanOrEqual(700);
      store.close();
    } finally {
      client.disconnect();
      await own.stop();
    }
  });
});
