import type { CircuitStore } from 'circuitry';
import type { ChangeAnswer, SharedRecord, SharedStateBackend, SharedStoreOptions } from 'circuitry/store';
import { sharedStore } from 'circuitry/store';
import { invalid } from '../../check/check.js';
import type { RedisClientLike, SendCommand } from './redis-client.js';
import { evaluate, nodeOfSlotIn, sendCommandOf } from './redis-client.js';
import { redisCounting } from './redis-counting.js';
import { READ_MANY_SCRIPT, RECORD_SCRIPT } from './record-script.js';
import { redisPush, subscriberSource } from './subscriber.js';
import { keySlot } from './key-slot.js';
import type { ReadKeys } from './node-batches.js';
import { BATCH, nodeBatches } from './node-batches.js';
import { changesChannel, shardedPush, shardedSource } from './sharded-push.js';

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
   * unsubscribed, never ended. In a Redis Cluster, push is sharded (`SSUBSCRIBE`, Redis 7): the
   * default duplicate of an ioredis `Cluster` is made with `shardedSubscribers: true`, and a
   * cluster client given here must be so too.
   */
  subscriber?: unknown;
}

// SHA1 of RECORD_SCRIPT, written out rather than hashed at load: browsers and workerd have no
// node:crypto. test/redis/script-hash.test.ts recomputes it, so it cannot drift from the script.
const SHA = '18b8488d33e991e740a849f82b79fa10921871e5';
const READ_MANY_SHA = '3af7a0914f0e6d99ee5c03dd873b1f3ce36fb5a4';

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
  if (isCluster(client)) return clusterStore(send, client, prefix, keyTtl, subscriber, shared);
  const source = subscriberSource(client, subscriber);
  const channel = `${prefix}changes`;
  const push = source === undefined ? undefined : redisPush(send, source, prefix, channel);
  // Without a subscriber nobody listens: the script publishes nothing.
  const announce = push === undefined ? NO_ANNOUNCE : ['PUBLISH', channel];
  const backend = redisBackend(send, prefix, String(keyTtl), () => announce);
  const counting = redisCounting(send, prefix, keyTtl, () => announce);
  return sharedStore({ ...backend, push, counting, readMany: chunked(backend.readKeys, prefix) }, shared);
}

/**
 * In a cluster: each record's changes are published on a shard channel of its slot and pushed per
 * shard (`sharded-push.ts`); reads are batched per node (`node-batches.ts`); and each record's
 * slot is a part of the store, so a master lost sends away the breakers of its slots only.
 */
function clusterStore(send: SendCommand, client: unknown, prefix: string, keyTtl: number, subscriber: unknown, shared: SharedStoreOptions): CircuitStore {
  const nodeOfSlot = nodeOfSlotIn(client);
  const source = shardedSource(client, subscriber);
  const pollInterval = typeof shared.syncInterval === 'number' && shared.syncInterval > 0 ? shared.syncInterval : 500;
  const push = source === undefined ? undefined : shardedPush(send, source, prefix, nodeOfSlot, pollInterval);
  const announce = (key: string): string[] => (push === undefined ? NO_ANNOUNCE : ['SPUBLISH', changesChannel(key)]);
  const backend = redisBackend(send, prefix, String(keyTtl), announce);
  const read = nodeBatches(backend.readKeys, nodeOfSlot);
  return sharedStore(
    {
      ...backend,
      push,
      counting: redisCounting(send, prefix, keyTtl, announce, true),
      read: async (name) => (await read([prefix + name]))[0]!,
      readMany: (names) => read(names.map((name) => prefix + name)),
      partitionOf(name) {
        push?.watch(name);
        return String(keySlot(prefix + name));
      },
    },
    shared,
  );
}

const NO_ANNOUNCE = ['', ''];

/** Reads `names` in scripts of {@link BATCH} keys each, sent at once. */
function chunked(readKeys: ReadKeys, prefix: string): (names: readonly string[]) => Promise<SharedRecord[]> {
  return async (names) => {
    const keys = names.map((name) => prefix + name);
    const chunks: Promise<SharedRecord[]>[] = [];
    for (let i = 0; i < keys.length; i += BATCH) chunks.push(readKeys(keys.slice(i, i + BATCH), []));
    return (await Promise.all(chunks)).flat();
  };
}

/** An ioredis `Cluster` or a node-redis `createCluster` client. */
function isCluster(client: unknown): boolean {
  const c = client as { isCluster?: unknown; masters?: unknown } | null;
  return c?.isCluster === true || (typeof c === 'object' && c !== null && 'masters' in c);
}

/**
 * The four operations, over the record script; `announce` gives, per key, the command and channel
 * on which the script publishes an accepted change (two empty strings: none). `readKeys` reads
 * records in one script, keys declared then passed (see READ_MANY_SCRIPT).
 */
function redisBackend(send: SendCommand, prefix: string, keep: string, announce: (key: string) => string[]): SharedStateBackend & { readKeys: ReadKeys } {
  const script = async (name: string, [operation, ...args]: [string, ...(string | number)[]]): Promise<unknown[]> => {
    const key = prefix + name;
    return (await evaluate(send, SHA, RECORD_SCRIPT, ['1', key, operation, keep, ...announce(key), ...args.map(String)])) as unknown[];
  };
  return {
    readKeys: async (declared, passed) =>
      recordsOf(await evaluate(send, READ_MANY_SHA, READ_MANY_SCRIPT, [String(declared.length), ...declared, ...passed]), declared.length + passed.length),
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
