import { createHash } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { COUNT_SCRIPT } from '../../src/adapters/redis/count-script.js';
import { READ_MANY_SCRIPT, RECORD_SCRIPT } from '../../src/adapters/redis/record-script.js';
import { redisCounting } from '../../src/adapters/redis/redis-counting.js';
import { rng } from '../helpers/fleet-simulation.js';
import { startRedis } from '../helpers/redis-server.js';
import { countScript } from '../helpers/sim-count.js';
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

// COUNT_SCRIPT against test/helpers/sim-count.ts: flushes through the real adapter (redisCounting),
// with records moved on by RECORD_SCRIPT and hashes damaged by hand between them.
const COUNT_CHANNEL = 'diffcount:changes';
/** A window as data (cjson and JSON.stringify may order and space it apart), or the text that is not one. */
const asData = (text: string): unknown => {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
};

it(`the simulated count script agrees with COUNT_SCRIPT over ${runs} random sequences`, async () => {
  await client.call('SCRIPT', 'LOAD', COUNT_SCRIPT);
  await subscriber.subscribe(COUNT_CHANNEL);
  const simHeard: string[] = [];
  const countSeen = new Map<string, number>();
  const note = (kind: string) => countSeen.set(kind, (countSeen.get(kind) ?? 0) + 1);
  for (let seed = 1; seed <= runs; seed++) {
    const r = rng(seed ^ 0xc0c0);
    const prefix = `diffcount:${seed}:`;
    const names = ['a', 'b', 'c'];
    const windowsKey = `${prefix}counts`;
    let t = 0;
    const sim = simRedis(() => t);
    const keep = 60_000;
    /** What the real script was sent, and what it replied. */
    let sent: string[] = [];
    let reply: unknown;
    const counting = redisCounting(
      async (args) => {
        sent = args;
        reply = await client.call(...(args as [string, ...string[]]));
        return reply;
      },
      prefix,
      keep,
      () => ['PUBLISH', COUNT_CHANNEL],
    );
    const stateOf = async (key: string) => {
      const type = await client.call('TYPE', key);
      if (type !== 'hash') return type;
      const flat = (await client.call('HGETALL', key)) as string[];
      const fields = Object.fromEntries(Array.from({ length: flat.length / 2 }, (_, i) => [flat[2 * i]!, key === windowsKey && flat[2 * i] !== '' ? asData(flat[2 * i + 1]!) : flat[2 * i + 1]]));
      return { fields, expires: Number(await client.call('PTTL', key)) > 0 };
    };
    const simStateOf = (key: string) => {
      const v = sim.live(key);
      if (v === undefined) return 'none';
      if (!(v instanceof Map)) return v.type;
      const fields = Object.fromEntries([...v].map(([f, s]) => [f, key === windowsKey && f !== '' ? asData(s) : s]));
      return { fields, expires: sim.expiry.has(key) };
    };
    const mirror = async (key: string) => {
      sim.keys.delete(key);
      sim.expiry.delete(key);
      const type = await client.call('TYPE', key);
      if (type === 'none') return;
      if (type !== 'hash') return void sim.keys.set(key, { type: type as string });
      const flat = (await client.call('HGETALL', key)) as string[];
      sim.keys.set(key, new Map(Array.from({ length: flat.length / 2 }, (_, i) => [flat[2 * i]!, flat[2 * i + 1]!])));
      const ttl = Number(await client.call('PTTL', key));
      if (ttl > 0) sim.expiry.set(key, t + ttl);
    };
    const flushes: { owner: string; flush: number }[] = [];
    for (let step = 0; step < 30; step++) {
      const [seconds, micros] = (await client.call('TIME')) as string[];
      const now = Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
      t = now;
      const choice = r.int(0, 9);
      const context = `seed ${seed} step ${step}`;
      if (choice === 0) {
        // Written by hand: the hash of windows of another type, a window that is not one, one with
        // many slices of Redis's seconds (some long gone), or a time to live set long ago.
        const kind = r.int(0, 4);
        if (kind === 0) await client.del(windowsKey).then(() => client.set(windowsKey, 'not a hash'));
        else if (kind === 1) await client.del(windowsKey);
        else if (kind < 4 && (await client.type(windowsKey)) !== 'hash') await client.del(windowsKey);
        if (kind === 2) await client.hset(windowsKey, names[r.int(0, 2)]!, r.chance(0.5) ? 'not json' : '{"g":"x","b":[]}');
        else if (kind === 3) {
          const length = r.int(1, 70);
          const slices = Array.from({ length }, (_, i) => [Math.floor(now / 1000) - length + i + (r.chance(0.5) ? 0 : 1), r.int(0, 4), r.int(0, 2), r.int(0, 1)]);
          const record = await client.hget(`${prefix}a`, 'g');
          await client.hset(windowsKey, 'a', JSON.stringify({ g: Number(record ?? 0), b: slices }));
        } else if ((await client.type(windowsKey)) === 'hash') await client.hset(windowsKey, '', String(now - keep / 2 - r.int(-5, 5)));
        await mirror(windowsKey);
        continue;
      }
      if (choice <= 2) {
        // The record moved on by RECORD_SCRIPT: a trip, a forced open, or a close.
        const name = names[r.int(0, 2)]!;
        const key = `${prefix}${name}`;
        const g = Number((await client.hget(key, 'g')) ?? 0);
        const args = r.chance(0.5) ? ['open', 'force', g, 1000, 0, 1, 0, 200] : ['close', 'force', g, 0, 200];
        const [op, ...rest] = args as [string, ...(string | number)[]];
        const real = (await client.call('EVALSHA', SHA, '1', key, op, String(keep), 'PUBLISH', COUNT_CHANNEL, ...rest.map(String))) as (string | number)[];
        t = Number(real[7]);
        expect(sim.run(key, op, keep, rest, COUNT_CHANNEL).map(String), context).toEqual(real.map(String));
        for (const [channel, message] of sim.published.splice(0)) simHeard.push(`${channel} ${message}`);
        continue;
      }
      // A flush of one to three breakers, each of the generation its record has, one behind, or none.
      const chosen = names.filter(() => r.chance(0.6));
      if (chosen.length === 0) chosen.push(names[r.int(0, 2)]!);
      const batches = [];
      for (const name of chosen) {
        const g = Number((await client.hget(`${prefix}${name}`, 'g')) ?? 0);
        const calls = r.int(1, 6);
        const rates = { failureRate: [0.3, 0.5, 1][r.int(0, 2)]!, slowCallRate: [0.5, 1][r.int(0, 1)]!, minimumCalls: r.int(1, 8) };
        const window = r.chance(0.5) ? { kind: 'count' as const, size: r.int(2, 12), ...rates } : { kind: 'time' as const, duration: r.int(20, 400), buckets: r.int(1, 8), ...rates };
        const generation = [g, g, g - 1, 0][r.int(0, 3)]!;
        batches.push({ name, generation, calls, failures: r.int(0, calls), slowCalls: r.int(0, calls), window, openPeriod: r.int(1, 3000), openings: r.int(1, 4) });
      }
      // A stamp: a new flush, or one sent before (a replay); in time, or late (up to 400 ms old against 200).
      const replay = flushes.length > 0 && r.chance(0.2);
      const id = replay ? flushes[r.int(0, flushes.length - 1)]! : { owner: `o${r.int(0, 1)}`, flush: flushes.length + 1 };
      if (!replay) flushes.push(id);
      const stamp = { ...id, decidedAt: r.chance(0.3) ? 0 : now - r.int(-50, 400), maxAge: 200 };
      const answer = await counting.count(batches, stamp);
      const real = reply as (string | number)[];
      t = Number(real[0]);
      const count = Number(sent[2]);
      const simulated = countScript(sim, () => t, sent.slice(3, 3 + count), sent.slice(3 + count));
      const what = `${context}: count ${JSON.stringify(batches)} ${JSON.stringify(stamp)}`;
      expect(simulated.map(String), what).toEqual(real.map(String));
      for (const [channel, message] of sim.published.splice(0)) simHeard.push(`${channel} ${message}`);
      note(answer.late === true ? 'late' : answer.repeated === true ? 'repeated' : 'ok');
      for (const record of answer.records) note(record === undefined ? 'counted' : record.state);
      for (const key of [windowsKey, ...names.map((name) => `${prefix}${name}`)]) expect(simStateOf(key), `${what}: ${key}`).toEqual(await stateOf(key));
      const flushKey = `${prefix}flush:${id.owner}:${id.flush}`;
      expect(sim.live(flushKey) !== undefined, `${what}: ${flushKey}`).toBe(Number(await client.call('EXISTS', flushKey)) === 1);
    }
  }
  // Every open the count script made was announced, with its generation, exactly as the sim says.
  await client.call('PUBLISH', COUNT_CHANNEL, 'end');
  await new Promise<void>((resolve) => {
    const wait = () => (heard.at(-1) === `${COUNT_CHANNEL} end` ? resolve() : setTimeout(wait, 5));
    wait();
  });
  expect(heard.filter((m) => m.startsWith(`${COUNT_CHANNEL} `)).slice(0, -1)).toEqual(simHeard);
  // Every kind of answer was compared: counted, tripped (open), a window of another period (closed), foreign, late, repeated.
  for (const kind of ['ok', 'late', 'repeated', 'counted', 'open', 'closed', 'foreign']) expect(countSeen.get(kind) ?? 0, `count answers: ${kind}`).toBeGreaterThan(0);
}, 60_000);
