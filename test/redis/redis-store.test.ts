import { CircuitBreaker, circuit } from 'circuitry';
import { redisStore } from 'circuitry/redis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startRedis } from '../helpers/redis-server.js';
import { CLIENTS } from './clients.js';

let redis: Awaited<ReturnType<typeof startRedis>>;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(() => redis.stop());

describe.each(Object.entries(CLIENTS))('redisStore with %s', (clientName, connect) => {
  const opened: { quit(): unknown }[] = [];
  const client = async () => {
    const c = await connect(redis.url);
    opened.push(c);
    return c;
  };
  let n = 0;
  const fresh = () => `${clientName}-${++n}`;
  afterEach(() => {
    // Graceful: requests still in flight are answered before the connection ends.
    for (const c of opened.splice(0)) c.quit();
  });

  // The backend is reached through a store's breaker-free surface: a store is built on it, and
  // the record is read back with the raw client to see what Redis holds.
  async function backendOf() {
    const { client: c, raw } = await client();
    const prefix = `t:${fresh()}:`;
    const store = redisStore(c, { prefix, keyTtl: 60_000, syncInterval: 60_000, timeout: 2000 });
    const row = async (name: string) => {
      const flat = (await raw('HGETALL', prefix + name)) as string[] | Record<string, string>;
      if (!Array.isArray(flat)) return flat;
      const out: Record<string, string> = {};
      for (let i = 0; i < flat.length; i += 2) out[flat[i]!] = flat[i + 1]!;
      return out;
    };
    return { store, raw, prefix, row };
  }

  it('an open published by one breaker reaches another process\'s breaker, timed by Redis', async () => {
    const a = await backendOf();
    const { client: other } = await client();
    const storeB = redisStore(other, { prefix: a.prefix, syncInterval: 60_000, timeout: 2000 });
    const make = (store: typeof a.store) => new CircuitBreaker({ name: 'dep', registry: false, failureThreshold: 1, recoveryTimeout: 60_000, store });
    const breakerA = make(a.store);
    const breakerB = make(storeB);
    await a.store.sync();
    await storeB.sync();
    const failing = circuit(async () => {
      throw new Error('down');
    }, breakerA);
    await failing().catch(() => {});
    await a.store.sync();
    const row = await a.row('dep');
    expect(row).toMatchObject({ s: 'open', p: '60000', n: '1', l: '' });
    // A record made afresh numbers its generations from Redis's clock: a generation seen before
    // a record was lost can never come back.
    const redisMs = Number(((await a.raw('TIME')) as string[])[0]) * 1000;
    expect(Math.abs(Number(row.g) - redisMs)).toBeLessThan(5_000);
    await storeB.sync();
    expect(breakerB.state).toBe('open');
    expect(breakerB.retryAfter).toBeGreaterThan(59_000);
    expect(breakerB.retryAfter).toBeLessThanOrEqual(60_000);
    // The key lives as long as the open period, plus keyTtl.
    const ttl = Number(await a.raw('PTTL', `${a.prefix}dep`));
    expect(ttl).toBeGreaterThan(119_000);
    expect(ttl).toBeLessThanOrEqual(120_000);
    a.store.close();
    storeB.close();
  });

  // With push, the trial's close reaches the other processes within milliseconds, while their
  // first calls still wait for the lease's answer: those calls then run under the closed circuit,
  // as they should. So what is counted is trials (calls admitted while half-open), not calls run.
  // Counting calls, this test failed in 1 full run of the file in 3 with push on (4 of 6 "ran").
  it.each([
    ['push', {}],
    ['polling', { subscriber: false }],
  ])('grants the trial lease to one owner only, even when all ask at once (%s)', async (how, options) => {
    const a = await backendOf();
    const stores = await Promise.all(
      Array.from({ length: 6 }, async () => redisStore((await client()).client, { prefix: a.prefix, syncInterval: 60_000, timeout: 2000, ...options })),
    );
    const breakers = stores.map((store) => new CircuitBreaker({ name: 'dep', registry: false, recoveryTimeout: 60_000, store }));
    await Promise.all(stores.map((s) => s.sync()));
    // Opened long ago: its period is over, so the fleet is half-open and a lease can be had. The
    // open lands first (sync waits for it), or it would land on the record below and start anew.
    breakers[0]!.open();
    await stores[0]!.sync();
    // As if the open period had passed: opened at Redis time 0, under a generation not yet seen.
    await a.raw('HSET', `${a.prefix}dep`, 'o', '0', 'g', '99');
    await Promise.all(stores.map((s) => s.sync()));
    for (const b of breakers) expect(b.state).toBe('half-open');
    const trials: number[] = [];
    const afterClose: number[] = [];
    const guarded = breakers.map((b, i) => circuit(async () => (b.state === 'half-open' ? trials : afterClose).push(i), b));
    const results = await Promise.all(guarded.map((g) => g().then(() => 'ran', () => 'rejected')));
    expect(trials).toHaveLength(1);
    // The trial closed the circuit for the fleet; a call that ran besides it ran after that close.
    expect(await a.row('dep')).toMatchObject({ s: 'closed', g: '100' });
    expect(results.filter((r) => r === 'ran')).toHaveLength(1 + afterClose.length);
    for (const i of afterClose) expect(breakers[i]!.state).toBe('closed');
    // Polling, nothing tells the others of the close before their next read: every other call is refused.
    if (how === 'polling') expect(afterClose).toEqual([]);
    stores.forEach((s) => s.close());
  });

  it('makes every change in one atomic step: of 20 concurrent trips one opens, the rest see it open', async () => {
    const a = await backendOf();
    const stores = await Promise.all(
      Array.from({ length: 20 }, async () => redisStore((await client()).client, { prefix: a.prefix, syncInterval: 60_000, timeout: 2000 })),
    );
    await a.raw('HSET', `${a.prefix}dep`, 's', 'closed', 'g', '100', 'o', '0', 'p', '0', 'n', '0', 'l', '', 'u', '0');
    const breakers = stores.map((store) => new CircuitBreaker({ name: 'dep', registry: false, failureThreshold: 1, recoveryTimeout: 60_000, store }));
    await Promise.all(stores.map((s) => s.sync()));
    await Promise.all(breakers.map((b) => circuit(async () => Promise.reject(new Error('x')), b)().catch(() => {})));
    await Promise.all(stores.map((s) => s.sync()));
    expect(await a.row('dep')).toMatchObject({ s: 'open', g: '101' });
    for (const b of breakers) expect(b.state).toBe('open');
    stores.forEach((s) => s.close());
  });

  it('keeps a jittered (fractional) open period, with an expiry, and no store error', async () => {
    const a = await backendOf();
    const downs: unknown[] = [];
    const breaker = new CircuitBreaker({ name: 'dep', registry: false, recoveryTimeout: () => 1859.16, store: a.store });
    breaker.on('storeDown', ({ error }) => downs.push(error));
    breaker.open();
    await a.store.sync();
    expect(downs).toEqual([]);
    expect(await a.row('dep')).toMatchObject({ s: 'open', p: '1860' });
    expect(Number(await a.raw('PTTL', `${a.prefix}dep`))).toBeGreaterThan(60_000);
    a.store.close();
  });

  it('survives Redis forgetting its scripts', async () => {
    const a = await backendOf();
    const breaker = new CircuitBreaker({ name: 'dep', registry: false, store: a.store });
    await a.raw('SCRIPT', 'FLUSH');
    breaker.open();
    await a.store.sync();
    expect(a.store.connected).toBe(true);
    const opened = await a.row('dep');
    expect(opened).toMatchObject({ s: 'open' });
    breaker.close();
    await a.store.sync();
    expect(await a.row('dep')).toMatchObject({ s: 'closed', g: String(Number(opened.g) + 1) });
    const ttl = Number(await a.raw('PTTL', `${a.prefix}dep`));
    expect(ttl).toBeGreaterThan(59_000);
    a.store.close();
  });
});

describe('redisStore: input', () => {
  it('refuses what is not a client, and bad options, naming them', () => {
    expect(() => redisStore({} as never)).toThrow(new TypeError('client must be an ioredis, node-redis or Bun RedisClient (with call, sendCommand or send), got an object'));
    const fake = { call: async () => [] };
    expect(() => redisStore(fake, { keyTtl: 0 })).toThrow(new RangeError('keyTtl must be a positive whole number of milliseconds, got 0'));
    expect(() => redisStore(fake, { prefix: 5 as never })).toThrow(new TypeError('prefix must be a string, got 5'));
    expect(() => redisStore(fake, { syncInterval: -5 })).toThrow(RangeError);
    expect(() => redisStore(fake, { colour: 'red' } as never)).toThrow(new TypeError('unknown store option "colour"'));
  });

  it('refuses a subscriber that cannot subscribe, instead of leaving push off without a word', () => {
    const fake = { call: async () => [] };
    for (const [subscriber, shown] of [[42, '42'], [true, 'true'], ['x', '"x" (a string)'], [{}, 'an object that cannot subscribe']] as const) {
      expect(() => redisStore(fake, { subscriber })).toThrow(new TypeError(`subscriber must be false or a Redis client that can subscribe, got ${shown}`));
    }
    expect(() => redisStore(fake, { subscriber: false }).close()).not.toThrow();
  });
});
