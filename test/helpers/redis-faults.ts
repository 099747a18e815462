// What the fault-injection tests around a real redis-server share (test/redis/faults*.test.ts):
// a Redis of their own per test, the two clients counting their commands, a breaker per
// "process" whose clock is real time plus a shift the test moves, and a two-process fleet
// sharing breaker `dep`, one on ioredis and one on node-redis. Waits on state are polls with a
// bound; call `useFaultHooks()` once at the top of a test file.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CircuitBreaker, circuit } from 'circuitry';
import type { CircuitStore } from 'circuitry';
import { redisStore } from 'circuitry/redis';
import type { RedisStoreOptions } from 'circuitry/redis';
import { Redis } from 'ioredis';
import type { RedisOptions } from 'ioredis';
import { createClient } from 'redis';
import { afterEach, beforeAll, expect } from 'vitest';
import { redisTimePasses, startRedis } from './redis-server.js';

export type Server = Awaited<ReturnType<typeof startRedis>>;

/** Undone after each test, last first. */
export const cleanups: (() => unknown)[] = [];
const unhandled: unknown[] = [];

/** Registers the hooks of a fault test file: cleanups after each test, and no unhandled rejection. */
export function useFaultHooks(): void {
  beforeAll(() => {
    process.on('unhandledRejection', (reason) => void unhandled.push(reason));
  });
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    // Nothing the store or the clients did may reject unhandled.
    expect(unhandled.splice(0)).toEqual([]);
  });
}

export async function server(extra: string[] = []): Promise<Server> {
  const s = await startRedis(['--enable-debug-command', 'yes', ...extra]);
  cleanups.push(async () => {
    s.signal('SIGCONT');
    await s.stop();
  });
  return s;
}

/** A Redis that keeps its data through a kill: an append-only file, synced on every write. */
export async function persistentServer(): Promise<Server> {
  const dir = mkdtempSync(join(tmpdir(), 'circuitry-faults-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return server(['--appendonly', 'yes', '--appendfsync', 'always', '--dir', dir]);
}

/** The two clients, reconnecting fast; `pending` counts unanswered commands, `sent` all commands. */
export const CLIENT = {
  async ioredis(url: string, options: RedisOptions = {}) {
    const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: null, retryStrategy: () => 20, ...options });
    client.on('error', () => {});
    await client.connect();
    let pending = 0;
    let sent = 0;
    const counted = {
      call: (...args: [string, ...string[]]) => {
        pending += 1;
        sent += 1;
        return client.call(...args).finally(() => (pending -= 1));
      },
    };
    cleanups.push(() => client.disconnect());
    return { kind: 'ioredis', client, counted, pending: () => pending, sent: () => sent, raw: (...args: string[]) => client.call(...(args as [string, ...string[]])) };
  },
  async 'node-redis'(url: string, connect = true) {
    const client = createClient({ url, socket: { reconnectStrategy: () => 20 } });
    client.on('error', () => {});
    if (connect) await client.connect();
    let pending = 0;
    let sent = 0;
    const counted = {
      sendCommand: (args: string[]) => {
        pending += 1;
        sent += 1;
        return client.sendCommand(args).finally(() => (pending -= 1));
      },
    };
    cleanups.push(() => (client.isOpen ? client.destroy() : undefined));
    return { kind: 'node-redis', client, counted, pending: () => pending, sent: () => sent, raw: (...args: string[]) => client.sendCommand(args) };
  },
};

/** A control connection of its own (ioredis), so that faults aimed at the stores' clients spare it. */
export async function control(s: Server) {
  const client = new Redis(s.url, { lazyConnect: true, maxRetriesPerRequest: null, retryStrategy: () => 20 });
  client.on('error', () => {});
  await client.connect();
  cleanups.push(() => client.disconnect());
  return (...args: string[]) => client.call(...(args as [string, ...string[]]));
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `condition` every 5 ms; rejects after `ms`, naming `what`. */
export async function until(what: string, condition: () => boolean | Promise<boolean>, ms = 3000): Promise<void> {
  const giveUp = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > giveUp) throw new Error(`not within ${ms} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** One process's breaker: failureThreshold 1, its own shifted clock, events recorded. */
export function member(store: CircuitStore, name = 'dep', extra: Record<string, unknown> = {}) {
  let shift = 0;
  const clock = { now: () => Date.now() + shift };
  const errors: unknown[] = [];
  const events: string[] = [];
  const breaker = new CircuitBreaker({ name, registry: false, failureThreshold: 1, recoveryTimeout: 1000, clock, store, reportError: (e) => errors.push(e), ...extra });
  breaker.on('storeDown', ({ operation }) => events.push(`down:${operation}`));
  breaker.on('storeUp', () => events.push('up'));
  const trace: string[] = [];
  const t0 = Date.now();
  breaker.on('stateChange', ({ from, to }) => trace.push(`${Date.now() - t0}:${from}->${to}`));
  breaker.on('storeDown', ({ operation }) => trace.push(`${Date.now() - t0}:down:${operation}`));
  breaker.on('storeUp', () => trace.push(`${Date.now() - t0}:up`));
  let fail = false;
  let gate: Promise<void> | undefined;
  const call = circuit(async () => {
    if (gate !== undefined) await gate;
    if (fail) throw new Error('dependency failed');
    return 'ok';
  }, breaker);
  return {
    breaker,
    errors,
    events,
    trace,
    downs: () => events.filter((e) => e.startsWith('down')).length,
    ups: () => events.filter((e) => e === 'up').length,
    advance: (ms: number) => void (shift += ms),
    /** The caller's result: 'ok', the dependency's message, or the error's name. */
    attempt: () => call().catch((e: Error) => (e.name === 'Error' ? e.message : e.name)),
    /** Times one attempt, in wall-clock ms. */
    async timed() {
      const start = Date.now();
      const result = await call().catch((e: Error) => (e.name === 'Error' ? e.message : e.name));
      return { result, ms: Date.now() - start };
    },
    dependency: (failing: boolean) => void (fail = failing),
    /** Holds every call until the returned release is called: calls in flight. */
    hold() {
      let release!: () => void;
      gate = new Promise<void>((resolve) => (release = resolve));
      return () => {
        gate = undefined;
        release();
      };
    },
  };
}

export type Member = ReturnType<typeof member>;

let n = 0;

/** A key prefix no other fleet of this file uses. */
export const nextPrefix = (base: string): string => `${base}:${++n}:`;

export interface FleetOptions {
  syncInterval?: number;
  timeout?: number;
  recoveryTimeout?: number;
  keyTtl?: number;
  /** Options of A's ioredis client. */
  ioredis?: RedisOptions;
}

/** Two processes sharing breaker `dep`: A on ioredis, B on node-redis, each a store of its own. */
export async function fleet(s: Server, options: FleetOptions = {}) {
  const prefix = nextPrefix('faults');
  const { syncInterval = 100, timeout = 150, recoveryTimeout = 1000, keyTtl } = options;
  const ca = await CLIENT.ioredis(s.url, options.ioredis);
  const cb = await CLIENT['node-redis'](s.url);
  const storeOptions: RedisStoreOptions = { prefix, syncInterval, timeout, ...(keyTtl !== undefined && { keyTtl }) };
  const storeA = redisStore(ca.counted, storeOptions);
  const storeB = redisStore(cb.counted, storeOptions);
  cleanups.push(() => (storeA.close(), storeB.close()));
  const A = member(storeA, 'dep', { recoveryTimeout });
  const B = member(storeB, 'dep', { recoveryTimeout });
  await storeA.sync();
  await storeB.sync();
  const key = `${prefix}dep`;
  return { prefix, key, ca, cb, storeA, storeB, A, B };
}

export type Fleet = Awaited<ReturnType<typeof fleet>>;

/** Opens the fleet from A (period: the fleet's recoveryTimeout), and waits until B took it in. */
export async function openFromA(f: Fleet) {
  f.A.dependency(true);
  expect(await f.A.attempt()).toBe('dependency failed');
  f.A.dependency(false);
  await until('B adopts the open', () => f.B.breaker.state === 'open');
}

/** Lets the open period of `ms` pass on Redis's clock and on both breakers' clocks. */
export async function periodPasses(f: Fleet, raw: (...args: string[]) => Promise<unknown>, ms: number) {
  await redisTimePasses(raw, ms);
  f.A.advance(ms);
  f.B.advance(ms);
}

/** After a fault: both stores answered again and nothing they sent is left unanswered. */
export async function settled(f: Fleet, ms = 5000) {
  await until('both stores back, nothing pending', () => f.storeA.connected && f.storeB.connected && f.ca.pending() === 0 && f.cb.pending() === 0, ms);
}

/** The fleet shares again: a trip in A reaches B within a sync interval (100 ms) plus slack. */
export async function converges(f: Fleet) {
  f.A.dependency(true);
  expect(await f.A.attempt()).toBe('dependency failed');
  f.A.dependency(false);
  await until('B takes in the open A decided', () => f.B.breaker.state === 'open', 600);
}

export const record = async (raw: (...args: string[]) => Promise<unknown>, key: string): Promise<Record<string, string>> => {
  const flat = (await raw('HGETALL', key)) as string[];
  const out: Record<string, string> = {};
  for (let i = 0; i < flat.length; i += 2) out[flat[i]!] = flat[i + 1]!;
  return out;
};
