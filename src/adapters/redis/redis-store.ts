import type { CircuitStore } from 'circuitry';
import type { ChangeAnswer, SharedRecord, SharedStateBackend, SharedStatePush, SharedStoreOptions } from 'circuitry/store';
import { sharedStore } from 'circuitry/store';
import { invalid } from '../../check/check.js';
import type { RedisClientLike, SendCommand } from './redis-client.js';
import { evaluate, sendCommandOf } from './redis-client.js';
import { redisCounting } from './redis-counting.js';
import { READ_MANY_SCRIPT, RECORD_SCRIPT } from './record-script.js';
import { redisPush, subscriberSource } from './subscriber.js';
import { keySlot } from './key-slot.js';

/** Options of {@link redisStore}. */
export interface RedisStoreOptions extends SharedStoreOptions {
  /** Put before each breaker's name to make its key. Default `'circuitry:'`. */
  prefix?: string | undefined;
  /**
   * Milliseconds a breaker's key is kept after it last mattered (the end of its open period or
   * trial lease, or its close). Unused keys expire by themselves. Default 86,400,000 (a day).
   */
  keyTtl?: number | undefined;
  /**
   * The connection on which opens and closes published by other processes are received (pub/sub
   * takes a connection over, so it cannot be `client`). Default: a duplicate of `client`, made and
   * ended by the store (ioredis, node-redis; Bun's `RedisClient` where it has `duplicate()`).
   * `false`: no push, the store reads every `syncInterval`. A client given here is subscribed and
   * unsubscribed, never ended.
   */
  subscriber?: unknown;
}

// SHA1 of RECORD_SCRIPT, written out rather than hashed at load: browsers and workerd have no
// node:crypto. test/redis/script-hash.test.ts recomputes it, so it cannot drift from the script.
const SHA = '18b8488d33e991e740a849f82b79fa10921871e5';
const READ_MANY_SHA = 'ba252bc70d8be0912785c3bc0030844ea647e2fd';
/** Keys per batched read: one script runs at most this many HMGETs, so none blocks Redis for long. */
const BATCH = 200;

/**
 * A store that shares circuit state between every process using the same Redis and prefix.
 * Give it to breakers with a `name`: breakers of the same name in different processes are one
 * circuit. What is shared and what is not, and what happens while Redis is away, is in the
 * README's "Shared state through Redis".
 *
 * @example
 * ```ts no-run
 * import Redis from 'ioredis';
 * import { CircuitBreaker } from 'circuitry';
 * import { redisStore } from 'circuitry/redis';
 *
 * const store = redisStore(new Redis(), { prefix: 'shop:circuits:' });
 * const payments = new CircuitBreaker({ name: 'payments', store });
 * ```
 * @param client - a connected ioredis client, a node-redis client after `connect()`, or Bun's
 *   built-in `RedisClient`.
 * @throws TypeError or RangeError naming the option when an option is invalid.
 */
export function redisStore(client: RedisClientLike, options: RedisStoreOptions = {}): CircuitStore {
  if (typeof options !== 'object' || options === null) invalid(TypeError, 'redisStore options', 'an object', options);
  const { prefix = 'circuitry:', keyTtl = 86_400_000, subscriber, ...shared } = options;
  if (typeof prefix !== 'string') invalid(TypeError, 'prefix', 'a string', prefix);
  if (!Number.isSafeInteger(keyTtl) || keyTtl < 1) {
    invalid(typeof keyTtl === 'number' ? RangeError : TypeError, 'keyTtl', 'a positive whole number of milliseconds', keyTtl);
  }
  const send = sendCommandOf(client);
  const cluster = isCluster(client);
  // In a cluster a PUBLISH reaches every node, and a script's keys must share a slot: no push
  // there yet (the store polls), and no batched reads: each record is read alone, so a master
  // lost fails the reads of its own records only.
  const source = cluster ? undefined : subscriberSource(client, subscriber);
  const channel = `${prefix}changes`;
  const push = source === undefined ? undefined : redisPush(send, source, prefix, channel);
  const backend = redisBackend(send, prefix, keyTtl, push === undefined ? '' : channel, push);
  backend.counting = redisCounting(send, prefix, keyTtl, push === undefined ? '' : channel, cluster);
  if (cluster) {
    delete backend.readMany;
    // A master lost sends away the breakers of its slots only.
    backend.partitionOf = (name) => String(keySlot(prefix + name));
  }
  return sharedStore(backend, shared);
}

/** An ioredis `Cluster` or a node-redis `createCluster` client. */
function isCluster(client: unknown): boolean {
  const c = client as { isCluster?: unknown; masters?: unknown } | null;
  return c?.isCluster === true || (typeof c === 'object' && c !== null && 'masters' in c);
}

function redisBackend(send: SendCommand, prefix: string, keyTtl: number, channel: string, push: SharedStatePush | undefined): SharedStateBackend {
  const keep = String(keyTtl);
  // Without a subscriber nobody listens: the script publishes nothing.
  const announce = channel === '' ? ['', ''] : ['PUBLISH', channel];
  const script = async (name: string, [operation, ...args]: [string, ...(string | number)[]]): Promise<unknown[]> =>
    (await evaluate(send, SHA, RECORD_SCRIPT, ['1', prefix + name, operation, keep, ...announce, ...args.map(String)])) as unknown[];
  const readChunk = async (names: readonly string[]): Promise<SharedRecord[]> => {
    const reply = await evaluate(send, READ_MANY_SHA, READ_MANY_SCRIPT, [String(names.length), ...names.map((name) => prefix + name)]);
    return recordsOf(reply, names.length);
  };
  return {
    push,
    async readMany(names) {
      const chunks: Promise<SharedRecord[]>[] = [];
      for (let i = 0; i < names.length; i += BATCH) chunks.push(readChunk(names.slice(i, i + BATCH)));
      return (await Promise.all(chunks)).flat();
    },
    read: async (name) => recordOf(await script(name, ['read'])),
    open: async (name, r) =>
      recordOf(await script(name, ['open', r.mode, r.generation, r.openPeriod, r.elapsed, r.openings, r.decidedAt, r.maxAge])),
    close: async (name, r) => recordOf(await script(name, ['close', r.mode, r.generation, r.decidedAt, r.maxAge])),
    trial: async (name, owner, lease, stamp) => {
      const reply = await script(name, ['trial', owner, Math.ceil(lease), stamp.decidedAt, stamp.maxAge]);
      const record = recordOf(reply);
      return { granted: record.state !== 'foreign' && Number(reply[5]) === 1, wait: Number(reply[6]), record };
    },
  };
}

/**
 * The script's reply as a record; one this version cannot read is foreign, for its breaker alone.
 * A ninth element 'late' says the request was refused as older than its stamp allows.
 */
function recordOf(reply: unknown): ChangeAnswer {
  const r = Array.isArray(reply) ? reply : [];
  const state = String(r[0]);
  const at = Number(r[7]);
  if (state === 'foreign') return { state, generation: 0, elapsed: 0, openPeriod: 0, openings: 0, at, problem: String(r[8]) };
  if (state !== 'none' && state !== 'closed' && state !== 'open') {
    return { state: 'foreign', generation: 0, elapsed: 0, openPeriod: 0, openings: 0, problem: `unexpected reply from Redis: ${JSON.stringify(reply)}` };
  }
  const record: SharedRecord = { state, generation: Number(r[1]), elapsed: Number(r[2]), openPeriod: Number(r[3]), openings: Number(r[4]), at };
  return r[8] === 'late' ? { ...record, late: true } : record;
}

/** The batched read's reply as records: Redis's time, then five elements per key. */
function recordsOf(reply: unknown, count: number): SharedRecord[] {
  const r = Array.isArray(reply) ? reply : [];
  const at = Number(r[0]);
  return Array.from({ length: count }, (_, i) => {
    const [state, a, b, c, d] = r.slice(1 + 5 * i, 6 + 5 * i) as unknown[];
    if (state === 'foreign') return { state, generation: 0, elapsed: 0, openPeriod: 0, openings: 0, at, problem: String(a) };
    if (state !== 'none' && state !== 'closed' && state !== 'open') {
      return { state: 'foreign', generation: 0, elapsed: 0, openPeriod: 0, openings: 0, problem: `unexpected reply from Redis: ${JSON.stringify(reply)}` };
    }
    return { state, generation: Number(a), elapsed: Number(b), openPeriod: Number(c), openings: Number(d), at };
  });
}
