import { CircuitBreaker, circuit } from 'circuitry';
import { redisStore } from 'circuitry/redis';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { startRedis } from '../helpers/redis-server.js';
import { CLIENTS } from './clients.js';

// Push: opens and closes reach the other processes as they are accepted, not at their next read.
// Every store here polls once a minute (syncInterval and resyncInterval 60 s), so an open that
// arrives within the test's seconds came by push, or by the read a lost subscription triggers.
let redis: Awaited<ReturnType<typeof startRedis>>;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(() => redis.stop());

// Starting a fleet of clients, each with its subscriber, takes seconds on a loaded machine (CI
// timed one out at vitest's default 5 s): each test has 20 s, and waits for events, not time.
vi.setConfig({ testTimeout: 20_000 });

const SLOW = { syncInterval: 60_000, resyncInterval: 60_000, timeout: 2000 };
const event = (breaker: CircuitBreaker, name: 'open' | 'close') =>
  new Promise<void>((resolve) => {
    const off = breaker.on(name, () => (off(), resolve()));
  });

describe.each(Object.entries(CLIENTS))('push with %s', (clientName, connect) => {
  const opened: { quit(): unknown }[] = [];
  const stores: { close(): void }[] = [];
  const client = async () => {
    const c = await connect(redis.url);
    opened.push(c);
    return c;
  };
  let n = 0;
  afterEach(() => {
    for (const s of stores.splice(0)) s.close();
    for (const c of opened.splice(0)) c.quit();
  });
  const fleet = async (count: number, options: Record<string, unknown> = {}) => {
    const prefix = `push:${clientName}:${++n}:`;
    const members = await Promise.all(
      Array.from({ length: count }, async () => {
        const { client: c, raw } = await client();
        const store = redisStore(c, { prefix, ...SLOW, ...options });
        stores.push(store);
        const breaker = new CircuitBreaker({ name: 'dep', registry: false, failureThreshold: 1, recoveryTimeout: 60_000, store });
        return { store, breaker, raw, trip: () => circuit(async () => Promise.reject(new Error('down')), breaker)().catch(() => {}) };
      }),
    );
    await Promise.all(members.map((m) => m.store.sync()));
    // Subscribed: each store's duplicate listens on the prefix's channel.
    await vi.waitFor(async () => expect(await members[0]!.raw('PUBSUB', 'NUMSUB', `${prefix}changes`)).toEqual([`${prefix}changes`, count]), { timeout: 5000 });
    return { prefix, members };
  };

  it('an open and a close by hand reach the other processes as they happen, without a read on a timer', async () => {
    const { members } = await fleet(3);
    const [a, b, c] = members;
    const opens = [event(b!.breaker, 'open'), event(c!.breaker, 'open')];
    await a!.trip();
    await Promise.all(opens);
    expect(b!.breaker.retryAfter).toBeGreaterThan(59_000);
    const closes = [event(a!.breaker, 'close'), event(c!.breaker, 'close')];
    b!.breaker.close();
    await Promise.all(closes);
    expect(members.map((m) => m.breaker.state)).toEqual(['closed', 'closed', 'closed']);
  });

  it('a message on the channel is only a hint: a forged one changes no state', async () => {
    const { prefix, members } = await fleet(2);
    const [a, b] = members;
    await a!.raw('PUBLISH', `${prefix}changes`, `99999999999999:${prefix}dep`);
    await a!.raw('PUBLISH', `${prefix}changes`, 'garbage');
    // The hint's read comes back with the record as it is: closed, nothing taken in.
    const opens = event(b!.breaker, 'open');
    await a!.trip();
    await opens;
    expect(b!.breaker.state).toBe('open');
    expect(a!.breaker.state).toBe('open');
    await b!.store.sync();
    expect(b!.breaker.stats().rejections).toBe(0);
  });

  it('a subscriber killed (CLIENT KILL TYPE pubsub) loses no open, and is back at push by itself', async () => {
    const { prefix, members } = await fleet(2);
    const [a, b] = members;
    await a!.raw('CLIENT', 'KILL', 'TYPE', 'pubsub');
    // The open goes out while B's subscriber is gone: B's canary misses, B reads at once.
    const missed = event(b!.breaker, 'open');
    await a!.trip();
    await missed;
    // B subscribes again by itself; then a change reaches it by push once more.
    await vi.waitFor(async () => expect(await a!.raw('PUBSUB', 'NUMSUB', `${prefix}changes`)).toEqual([`${prefix}changes`, 2]), { timeout: 10_000 });
    const closed = event(b!.breaker, 'close');
    a!.breaker.close();
    await closed;
    const reopened = event(b!.breaker, 'open');
    await a!.trip();
    await reopened;
  }, 20_000);

  it('subscriber: false polls only, and publishes nothing', async () => {
    const prefix = `push:${clientName}:${++n}:`;
    const { client: c, raw } = await client();
    const store = redisStore(c, { prefix, ...SLOW, subscriber: false });
    stores.push(store);
    const breaker = new CircuitBreaker({ name: 'dep', registry: false, failureThreshold: 1, store });
    await store.sync();
    expect(await raw('PUBSUB', 'NUMSUB', `${prefix}changes`)).toEqual([`${prefix}changes`, 0]);
    await circuit(async () => Promise.reject(new Error('down')), breaker)().catch(() => {});
    await store.sync();
    expect(breaker.state).toBe('open');
  });
});

it('a subscriber given by the user is subscribed and unsubscribed, never ended', async () => {
  const { client: c, raw, quit } = await CLIENTS.ioredis(redis.url);
  const sub = await CLIENTS.ioredis(redis.url);
  const store = redisStore(c, { prefix: 'given:', ...SLOW, subscriber: sub.client });
  new CircuitBreaker({ name: 'dep', registry: false, store });
  await vi.waitFor(async () => expect(await raw('PUBSUB', 'NUMSUB', 'given:changes')).toEqual(['given:changes', 1]), { timeout: 5000 });
  store.close();
  await vi.waitFor(async () => expect(await raw('PUBSUB', 'NUMSUB', 'given:changes')).toEqual(['given:changes', 0]), { timeout: 5000 });
  expect(sub.client.status).toBe('ready');
  await sub.quit();
  await quit();
});
