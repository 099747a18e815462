import { CircuitBreaker, countWindow, timeWindow } from 'circuitry';
import { redisStore } from 'circuitry/redis';
import { afterAll, afterEach, beforeAll, expect, it, vi } from 'vitest';
import { startRedis } from '../helpers/redis-server.js';
import { CLIENTS } from './clients.js';

// judge: 'fleet' against a real Redis, several stores in one process standing for processes:
// the count script's windows, its one open, and what a breaker does meanwhile. The real-process
// version is fleet-judge-processes.test.ts.
let redis: Awaited<ReturnType<typeof startRedis>>;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(() => redis.stop());
vi.setConfig({ testTimeout: 20_000 });

const closers: (() => unknown)[] = [];
afterEach(() => {
  for (const close of closers.splice(0)) close();
});

let n = 0;
const fail = () => Promise.reject(new Error('down'));
const succeed = () => Promise.resolve('ok');

async function fleet(count: number, options: { judge?: 'fleet' | 'process'; policy?: ReturnType<typeof countWindow> } = {}) {
  const prefix = `judge:${++n}:`;
  const members = [];
  for (let i = 0; i < count; i++) {
    const { client, raw, quit } = await CLIENTS.ioredis(redis.url);
    const store = redisStore(client, { prefix, syncInterval: 60_000, resyncInterval: 60_000, timeout: 2000, countInterval: 50, judge: options.judge ?? 'fleet' });
    closers.push(() => store.close(), quit);
    const breaker = new CircuitBreaker({
      name: 'dep',
      registry: false,
      recoveryTimeout: 60_000,
      policy: options.policy ?? countWindow({ size: 100, minimumCalls: 20, failureRate: 0.5 }),
      store,
    });
    members.push({ store, breaker, raw });
  }
  await Promise.all(members.map((m) => m.store.sync()));
  return members;
}

/** Calls and failures in the fleet's window of 'dep', as Redis holds it. */
async function fleetWindow(raw: (...args: string[]) => Promise<unknown>): Promise<{ calls: number; failures: number }> {
  const text = (await raw('HGET', `judge:${n}:counts`, 'dep')) as string | null;
  const slices = text === null ? [] : (JSON.parse(text) as { b: number[][] }).b;
  return { calls: slices.reduce((sum, s) => sum + s[1]!, 0), failures: slices.reduce((sum, s) => sum + s[2]!, 0) };
}

const opened = (breaker: CircuitBreaker) => new Promise<void>((resolve) => breaker.on('open', () => resolve()));

it('opens every process once the fleet window trips, though no process saw minimumCalls', async () => {
  const members = await fleet(4);
  const opens = members.map((m) => opened(m.breaker));
  const transitions: string[] = [];
  for (const m of members) m.breaker.on('stateChange', ({ to }) => transitions.push(to));
  // 4 processes × 6 calls, 4 of them failures: 24 calls at 67 %, each process below 20.
  for (const m of members) {
    for (let i = 0; i < 4; i++) await m.breaker.execute(fail).catch(() => {});
    for (let i = 0; i < 2; i++) await m.breaker.execute(succeed);
    expect(m.breaker.state).toBe('closed');
  }
  await Promise.all(opens);
  expect(transitions).toEqual(['open', 'open', 'open', 'open']);
  // One open in all, the first of its run, and the window it judged is gone.
  const [state, openings] = (await members[0]!.raw('HMGET', `judge:${n}:dep`, 's', 'n')) as string[];
  expect([state, openings]).toEqual(['open', '1']);
  expect(await members[0]!.raw('HGET', `judge:${n}:counts`, 'dep')).toBeNull();
});

it('with judge: process, the same calls open no process', async () => {
  const members = await fleet(4, { judge: 'process' });
  for (const m of members) {
    for (let i = 0; i < 4; i++) await m.breaker.execute(fail).catch(() => {});
    for (let i = 0; i < 2; i++) await m.breaker.execute(succeed);
  }
  await Promise.all(members.map((m) => m.store.sync()));
  // A witness judged by the fleet flushes at the same countInterval: once its count is in Redis,
  // the judge: 'process' stores had as long to flush, and sent nothing.
  const { client, quit } = await CLIENTS.ioredis(redis.url);
  const witnessStore = redisStore(client, { prefix: `judge:${n}:`, syncInterval: 60_000, resyncInterval: 60_000, countInterval: 50, judge: 'fleet' });
  closers.push(() => witnessStore.close(), quit);
  const witness = new CircuitBreaker({ name: 'witness', registry: false, policy: countWindow({ size: 100, minimumCalls: 20, failureRate: 0.5 }), store: witnessStore });
  await witness.execute(succeed);
  await vi.waitFor(async () => expect(await members[0]!.raw('HGET', `judge:${n}:counts`, 'witness')).not.toBeNull());
  expect(await members[0]!.raw('HGET', `judge:${n}:counts`, 'dep')).toBeNull();
  expect(members.map((m) => m.breaker.state)).toEqual(['closed', 'closed', 'closed', 'closed']);
});

it('a process whose own window trips does not open the fleet while the fleet window is fine', async () => {
  const members = await fleet(3, { policy: timeWindow({ duration: 60_000, minimumCalls: 10, failureRate: 0.5 }) });
  const [bad, ...good] = members;
  // The healthy processes' calls reach the window first: 2 × 30 successes.
  for (const m of good) for (let i = 0; i < 30; i++) await m.breaker.execute(succeed);
  await vi.waitFor(async () => expect(await fleetWindow(bad!.raw)).toEqual({ calls: 60, failures: 0 }));
  // 15 failures: its own window (15 calls, 100 %) trips; the fleet's (75 calls, 20 %) does not.
  const reached = new Promise<void>((resolve) => bad!.breaker.on('failure', () => bad!.breaker.stats().failures === 15 && resolve()));
  for (let i = 0; i < 15; i++) await bad!.breaker.execute(fail).catch(() => {});
  await reached;
  await vi.waitFor(async () => expect(await fleetWindow(bad!.raw)).toEqual({ calls: 75, failures: 15 }));
  expect(members.map((m) => m.breaker.state)).toEqual(['closed', 'closed', 'closed']);
  expect(bad!.breaker.stats().window).toEqual({ calls: 15, failures: 15, slowCalls: 0 });
});

it('refuses a breaker that counts consecutive failures, naming the option', async () => {
  const { client, quit } = await CLIENTS.ioredis(redis.url);
  const store = redisStore(client, { judge: 'fleet' });
  closers.push(() => store.close(), quit);
  expect(() => new CircuitBreaker({ name: 'consecutive', registry: false, store })).toThrow(TypeError);
  expect(() => new CircuitBreaker({ name: 'consecutive', registry: false, store })).toThrow(/judge: 'fleet' needs a window policy/);
  expect(() => redisStore(client, { judge: 'everyone' as 'fleet' })).toThrow(/judge must be 'process' or 'fleet', got "everyone"/);
});

it('counts a flush once: a replay of its owner and number, or one arriving later than its maxAge, counts nothing', async () => {
  const { client, raw, quit } = await CLIENTS.ioredis(redis.url);
  closers.push(quit);
  const { redisCounting } = await import('../../src/adapters/redis/redis-counting.js');
  const prefix = `judge:${++n}:`;
  const counting = redisCounting((args) => client.call(...(args as [string, ...string[]])), prefix, 60_000, () => ['', ''], false);
  const batch = { name: 'dep', generation: 0, calls: 5, failures: 1, slowCalls: 0, openPeriod: 1000, openings: 1 };
  const window = { kind: 'count' as const, size: 100, failureRate: 0.5, slowCallRate: 1, minimumCalls: 50 };
  const stamp = { owner: 'a', flush: 1, decidedAt: 0, maxAge: 1000 };
  expect(await counting.count([{ ...batch, window }], stamp)).toEqual({ records: [undefined] });
  expect(await counting.count([{ ...batch, window }], stamp)).toEqual({ repeated: true, records: [] });
  expect(await counting.count([{ ...batch, window }], { ...stamp, flush: 2, decidedAt: 1, maxAge: 1000 })).toEqual({ late: true, records: [] });
  const text = (await raw('HGET', `${prefix}counts`, 'dep')) as string;
  expect((JSON.parse(text) as { b: number[][] }).b.map((s) => s[1])).toEqual([5]);
});

it("sets the windows' time to live at the first flush and again only once half of it has gone, not at every flush", async () => {
  const { client, raw, quit } = await CLIENTS.ioredis(redis.url);
  closers.push(quit);
  const { redisCounting } = await import('../../src/adapters/redis/redis-counting.js');
  const prefix = `judge:${++n}:`;
  const keep = 60_000;
  const counting = redisCounting((args) => client.call(...(args as [string, ...string[]])), prefix, keep, () => ['', ''], false);
  const window = { kind: 'count' as const, size: 100, failureRate: 0.5, slowCallRate: 1, minimumCalls: 50 };
  const batch = { name: 'dep', generation: 0, calls: 5, failures: 1, slowCalls: 0, openPeriod: 1000, openings: 1, window };
  const flush = (number: number) => counting.count([batch], { owner: 'a', flush: number, decidedAt: 0, maxAge: 1000 });
  const pexpires = async () => Number(/cmdstat_pexpire:calls=(\d+)/.exec((await raw('INFO', 'commandstats')) as string)?.[1] ?? 0);
  const before = await pexpires();
  await flush(1);
  const ttl = Number(await raw('PTTL', `${prefix}counts`));
  expect(ttl).toBeGreaterThan(keep - 5000);
  expect(ttl).toBeLessThanOrEqual(keep);
  for (let i = 2; i <= 5; i++) await flush(i);
  expect(await pexpires()).toBe(before + 1);
  // The time to live was set more than half of it ago (as the hash records it): the next flush sets it again.
  const [seconds] = (await raw('TIME')) as string[];
  await raw('HSET', `${prefix}counts`, '', String(Number(seconds) * 1000 - keep / 2 - 1000));
  await raw('PEXPIRE', `${prefix}counts`, '1000000');
  const after = await pexpires();
  await flush(6);
  expect(await pexpires()).toBe(after + 1);
  expect(Number(await raw('PTTL', `${prefix}counts`))).toBeLessThanOrEqual(keep);
  const text = (await raw('HGET', `${prefix}counts`, 'dep')) as string;
  expect((JSON.parse(text) as { b: number[][] }).b.reduce((sum, s) => sum + s[1]!, 0)).toBe(30);
});
