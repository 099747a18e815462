import { createHash } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { READ_MANY_SCRIPT, RECORD_SCRIPT } from '../../src/adapters/redis/record-script.js';
import { rng } from '../helpers/fleet-simulation.js';
import { startRedis } from '../helpers/redis-server.js';
import { simRedis } from '../helpers/sim-redis.js';

// The simulation is only worth what its Redis is: the same operation sequences run against the
// Lua script in a real redis-server and against test/helpers/sim-redis.ts, which must agree on
// every reply and every record. The simulated clock is set to Redis's own time of each reply.
let redis: Awaited<ReturnType<typeof startRedis>>;
let client: Redis;
let subscriber: Redis;
/** What Redis published on the test's channel, in order. */
const heard: string[] = [];
const CHANNEL = 'diff:changes';
beforeAll(async () => {
  redis = await startRedis();
  client = new Redis(redis.url);
  subscriber = new Redis(redis.url);
  subscriber.on('message', (channel: string, message: string) => heard.push(`${channel} ${message}`));
  await subscriber.subscribe(CHANNEL);
});
afterAll(async () => {
  await client.quit();
  await subscriber.quit();
  await redis.stop();
});

const SHA = createHash('sha1').update(RECORD_SCRIPT).digest('hex');
const MANY_SHA = createHash('sha1').update(READ_MANY_SCRIPT).digest('hex');
const runs = Number(process.env.CIRCUITRY_MODEL_RUNS ?? 0) > 0 ? Math.ceil(Number(process.env.CIRCUITRY_MODEL_RUNS) / 10) : 40;
/** Replies by kind, so the test can show it compared every answer the script gives, 'late' included. */
const seen = new Map<string, number>();

it(`the simulated Redis agrees with the Lua script over ${runs} random sequences`, async () => {
  await client.call('SCRIPT', 'LOAD', RECORD_SCRIPT);
  await client.call('SCRIPT', 'LOAD', READ_MANY_SCRIPT);
  const simHeard: string[] = [];
  for (let seed = 1; seed <= runs; seed++) {
    const r = rng(seed);
    const key = `diff:${seed}`;
    let t = 0;
    const sim = simRedis(() => t);
    const gens = [0];
    const hashOf = async () => {
      const type = await client.call('TYPE', key);
      if (type !== 'hash') return type;
      const flat = (await client.call('HGETALL', key)) as string[];
      return Object.fromEntries(Array.from({ length: flat.length / 2 }, (_, i) => [flat[2 * i], flat[2 * i + 1]]));
    };
    const simHash = () => {
      const v = sim.keys.get(key);
      return v === undefined ? 'none' : v instanceof Map ? Object.fromEntries(v) : v.type;
    };
    for (let step = 0; step < 25; step++) {
      const [seconds, micros] = (await client.call('TIME')) as string[];
      const now = Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
      const gen = gens[r.int(0, gens.length - 1)]!;
      const stamp = [r.chance(0.3) ? 0 : now - r.int(-50, 400), 200];
      const choice = r.int(0, 9);
      let op: string;
      let args: (string | number)[];
      if (choice === 0) {
        // A hand-written record: damaged, foreign, of a later version, or with times ahead.
        const kind = r.int(0, 4);
        await client.del(key);
        if (kind === 0) await client.set(key, 'not a hash');
        else if (kind === 1) await client.hset(key, 's', 'open', 'g', 'x', 'o', '0', 'p', '1000', 'n', '1', 'l', '', 'u', '0');
        else if (kind === 2) await client.hset(key, 'v', '2', 's', 'open', 'g', '1');
        else await client.hset(key, 's', 'open', 'g', '7', 'o', String(now + r.int(-2000, 3_600_000)), 'p', '1000', 'n', '1', 'l', 'x', 'u', String(now + r.int(0, 3_600_000)));
        sim.keys.delete(key);
        sim.expiry.delete(key);
        const real = await hashOf();
        if (typeof real === 'string') sim.keys.set(key, { type: real });
        else sim.keys.set(key, new Map(Object.entries(real as Record<string, string>)));
        continue;
      }
      if (choice <= 1 || (choice === 2 && r.chance(0.5))) [op, args] = ['read', []];
      else if (choice === 2) {
        // The batched read, over this key, one never written, and this key again.
        const names = [key, `diff:absent:${seed}`, key];
        const real = (await client.call('EVALSHA', MANY_SHA, String(names.length), ...names)) as (string | number)[];
        t = Number(real[0]);
        const simulated = sim.readMany(names);
        expect(simulated.map(String), `seed ${seed} step ${step}: readMany`).toEqual(real.map(String));
        seen.set(`many ${real[1]}`, (seen.get(`many ${real[1]}`) ?? 0) + 1);
        expect(simHash(), `seed ${seed} step ${step}: readMany writes nothing`).toEqual(await hashOf());
        continue;
      }
      else if (choice <= 5) [op, args] = ['open', [['trip', 'trial', 'force'][r.int(0, 2)]!, gen, r.int(1, 2000), r.int(0, 2500), r.int(1, 4), ...stamp]];
      else if (choice <= 7) [op, args] = ['close', [['trial', 'force'][r.int(0, 1)]!, gen, ...stamp]];
      else [op, args] = ['trial', [`owner${r.int(0, 2)}`, r.int(1, 1500), ...stamp]];
      const real = (await client.call('EVALSHA', SHA, '1', key, op, '60000', 'PUBLISH', CHANNEL, ...args.map(String))) as (string | number)[];
      t = Number(real[7]);
      const simulated = sim.run(key, op, 60_000, args, CHANNEL);
      for (const [channel, message] of sim.published.splice(0)) simHeard.push(`${channel} ${message}`);
      const context = `seed ${seed} step ${step}: ${op} ${JSON.stringify(args)}`;
      expect(simulated.map(String), context).toEqual(real.map(String));
      const kind = `${op} ${real[8] === 'late' ? 'late' : real[0]}`;
      seen.set(kind, (seen.get(kind) ?? 0) + 1);
      expect(simHash(), context).toEqual(await hashOf());
      if (Number(real[1]) > 0) gens.push(Number(real[1]), Number(real[1]) - 1);
    }
  }
  // Every accepted open and close was announced, with its generation, exactly as the sim says.
  await client.call('PUBLISH', CHANNEL, 'end');
  await new Promise<void>((resolve) => {
    const wait = () => (heard.at(-1) === `${CHANNEL} end` ? resolve() : setTimeout(wait, 5));
    wait();
  });
  expect(heard.slice(0, -1)).toEqual(simHeard);
  expect(simHeard.length).toBeGreaterThan(runs);
  for (const state of ['open', 'closed', 'none', 'foreign']) expect(seen.get(`many ${state}`) ?? 0, `readMany of a ${state} record`).toBeGreaterThan(0);
  // Stamps up to 400 ms old against a 200 ms limit: every change operation was refused as late too.
  for (const op of ['open', 'close', 'trial']) expect(seen.get(`${op} late`) ?? 0, `${op} refused as late`).toBeGreaterThan(0);
}, 60_000);
