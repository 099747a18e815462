import { createHash } from 'node:crypto';
import { CircuitBreaker, circuit } from 'circuitry';
import { sharedStore } from 'circuitry/store';
import type { SharedRecord, SharedStateBackend } from 'circuitry/store';
import { redisStore } from 'circuitry/redis';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisTimePasses, startRedis } from '../helpers/redis-server.js';
import { RECORD_SCRIPT_V0 } from './record-script-v0.js';
import { RECORD_SCRIPT } from '../../src/adapters/redis/record-script.js';

// A rolling deploy: processes of an earlier build (records without a format version) and of today share
// one Redis and one circuit. Neither may crash, wedge or write over what it cannot read.
let redis: Awaited<ReturnType<typeof startRedis>>;
let client: Redis;
beforeAll(async () => {
  redis = await startRedis();
  client = new Redis(redis.url);
});
afterAll(async () => {
  await client.quit();
  await redis.stop();
});
const raw = (...args: string[]) => client.call(...(args as [string, ...string[]]));

/** What a process of that earlier build does to Redis: its own script, its own arguments. */
function oldBackend(prefix: string): SharedStateBackend {
  const sha = createHash('sha1').update(RECORD_SCRIPT_V0).digest('hex');
  const run = async (name: string, args: (string | number)[]) => {
    const tail = ['1', prefix + name, ...[args[0]!, '60000', ...args.slice(1)].map(String)];
    try {
      return (await raw('EVALSHA', sha, ...tail)) as unknown[];
    } catch {
      return (await raw('EVAL', RECORD_SCRIPT_V0, ...tail)) as unknown[];
    }
  };
  const rec = (r: unknown[]): SharedRecord => ({ state: r[0] as 'open', generation: Number(r[1]), elapsed: Number(r[2]), openPeriod: Number(r[3]), openings: Number(r[4]) });
  return {
    read: async (name) => rec(await run(name, ['read'])),
    open: async (name, r) => rec(await run(name, ['open', r.mode, r.generation, r.openPeriod, r.elapsed, r.openings])),
    close: async (name, r) => rec(await run(name, ['close', r.mode, r.generation])),
    trial: async (name, owner, lease) => {
      const r = await run(name, ['trial', owner, lease]);
      return { granted: Number(r[5]) === 1, wait: Number(r[6]), record: rec(r) };
    },
  };
}

function member(store: ReturnType<typeof sharedStore>) {
  let t = Date.now();
  const clock = { now: () => t, advance: (ms: number) => void (t += ms) };
  const breaker = new CircuitBreaker({ name: 'dep', registry: false, failureThreshold: 1, recoveryTimeout: 200, clock, store });
  let fail = false;
  const call = circuit(async () => {
    if (fail) throw new Error('down');
    return 'ok';
  }, breaker);
  return { breaker, clock, attempt: () => call().catch((e: Error) => e.name), fail: (f: boolean) => void (fail = f) };
}

describe('record format versions', () => {
  it('an old process trips, a new one takes it in and closes it, and the old one takes the close in', async () => {
    const prefix = 'roll:1:';
    const oldStore = sharedStore(oldBackend(prefix), { syncInterval: 60_000, timeout: 1000 });
    const newStore = redisStore(client, { prefix, syncInterval: 60_000, timeout: 1000 });
    const old = member(oldStore);
    const fresh = member(newStore);
    await Promise.all([oldStore.sync(), newStore.sync()]);
    old.fail(true);
    await old.attempt();
    await oldStore.sync();
    expect(await raw('HGET', `${prefix}dep`, 'v')).toBeNull();
    await newStore.sync();
    expect(fresh.breaker.state).toBe('open');
    // Redis's clock must pass the 200 ms period for the lease.
    await redisTimePasses(raw, 250);
    fresh.clock.advance(250);
    expect(await fresh.attempt()).toBe('ok');
    await newStore.sync();
    expect(await raw('HGET', `${prefix}dep`, 'v')).toBe('1');
    await oldStore.sync();
    expect(old.breaker.state).toBe('closed');
    // And the other way: the old script reads and writes a version-1 record.
    old.fail(true);
    old.clock.advance(1);
    await old.attempt();
    await oldStore.sync();
    await newStore.sync();
    expect(fresh.breaker.state).toBe('open');
    oldStore.close();
    newStore.close();
  });

  it('a refusal as late is the usual eight-element reply plus a ninth, so a reader of eight takes it as before', async () => {
    const prefix = 'roll:3:';
    const [seconds] = (await raw('TIME')) as string[];
    const old = Number(seconds) * 1000 - 60_000;
    const reply = (await raw('EVAL', RECORD_SCRIPT, '1', `${prefix}dep`, 'open', '60000', '', '', 'trip', '0', '1000', '0', '1', String(old), '200')) as unknown[];
    expect(reply).toHaveLength(9);
    expect(reply[8]).toBe('late');
    // What a client before the fix (or the earlier build's reader) makes of it: a record that changed nothing,
    // no crash; its change is lost as it was before, which the fix is for.
    expect(reply.slice(0, 5)).toEqual(['none', expect.any(Number), 0, 0, 0]);
    expect(await raw('EXISTS', `${prefix}dep`)).toBe(0);
  });

  it('a new process over a backend that never says late (the earlier build\'s script: no stamps) still publishes after its clock stepped back', async () => {
    const prefix = 'roll:4:';
    const newStore = sharedStore(oldBackend(prefix), { syncInterval: 60_000, timeout: 1000 });
    const p = member(newStore);
    p.breaker.close();
    await newStore.sync();
    p.clock.advance(-60_000);
    p.fail(true);
    await p.attempt();
    for (let i = 0; i < 2; i++) await newStore.sync();
    expect(await raw('HGET', `${prefix}dep`, 's')).toBe('open');
    expect(p.breaker.state).toBe('open');
    newStore.close();
  });

  it('a record of a later format is not ours: the new process decides alone, says so once, and never writes over it', async () => {
    const prefix = 'roll:2:';
    await raw('HSET', `${prefix}dep`, 'v', '2', 's', 'open', 'g', '9', 'shape', 'new');
    const store = redisStore(client, { prefix, syncInterval: 60_000, timeout: 1000 });
    const p = member(store);
    const downs: unknown[] = [];
    p.breaker.on('storeDown', (e) => downs.push(e));
    await store.sync();
    p.fail(true);
    await p.attempt();
    await store.sync();
    await store.sync();
    p.fail(false);
    p.clock.advance(200);
    expect(await p.attempt()).toBe('ok');
    expect(downs).toHaveLength(1);
    expect(await raw('HGETALL', `${prefix}dep`)).toEqual(['v', '2', 's', 'open', 'g', '9', 'shape', 'new']);
    store.close();
  });
});
