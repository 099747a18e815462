import { CircuitBreaker, type CircuitStore } from 'circuitry';
import { redisStore } from 'circuitry/redis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { keySlot } from '../../src/adapters/redis/key-slot.js';
import { startRedisCluster } from '../helpers/redis-cluster.js';
import { CLUSTER_CLIENT_KINDS, CLUSTER_CLIENTS } from './cluster-clients.js';

// A real Redis Cluster of three masters with a replica each (cluster-node-timeout 1 s), for what a
// failover does to push and reads. Nothing is skipped: a redis-server that cannot run it fails here.

let cluster: Awaited<ReturnType<typeof startRedisCluster>>;

beforeAll(async () => {
  cluster = await startRedisCluster({ replicas: 1 });
}, 120_000);

afterAll(async () => {
  await cluster?.stop();
});

const next = (breaker: CircuitBreaker, event: 'open' | 'close') =>
  new Promise<void>((resolve) => {
    const off = breaker.on(event, () => (off(), resolve()));
  });

/** Resolves with `promise`, or rejects naming `what` after `ms`. */
const within = <T>(what: string, ms: number, promise: Promise<T>): Promise<T> => {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms))),
  ]);
};

describe.each(CLUSTER_CLIENT_KINDS)('a failover in a Redis Cluster through %s', (kind) => {
  it('a master killed and its replica promoted: the other masters share on meanwhile, and reads and push on its slots come back by themselves', async () => {
    const prefix = `failover:${kind}:`;
    const names = Array.from({ length: 12 }, (_, i) => `dependency-${i}`);
    const masterOf = await cluster.slotMasters();
    const lost = masterOf[keySlot(prefix + names[0]!)]!;
    const replica = await cluster.replicaOf(lost);
    expect(replica).toBeGreaterThanOrEqual(0);
    const onLost = names.filter((name) => masterOf[keySlot(prefix + name)] === lost);
    const onOthers = names.filter((name) => !onLost.includes(name));
    expect(onOthers.length).toBeGreaterThan(0);

    // A's only seed is the master that will be lost: what it makes later (its subscriber) must not need it.
    const connections = [await CLUSTER_CLIENTS[kind](cluster.ports[lost]!), await CLUSTER_CLIENTS[kind](cluster.ports[replica]!)];
    // No resync within the test: a change to a breaker the store shares arrives by push. A
    // breaker whose part is away is read (probed) at each tick of syncInterval, as in any outage.
    const stores = connections.map(({ client }) => redisStore(client, { prefix, syncInterval: 1_000, resyncInterval: 60_000, timeout: 1_000 })) as [CircuitStore, CircuitStore];
    const events: string[] = [];
    const breakersOn = (store: CircuitStore) =>
      new Map(
        names.map((name) => {
          const breaker = new CircuitBreaker({ name, registry: false, store, recoveryTimeout: 600_000, reportError: () => {} });
          breaker.on('storeDown', () => events.push(`storeDown ${name}`));
          breaker.on('storeUp', () => events.push(`storeUp ${name}`));
          return [name, breaker] as const;
        }),
      );
    let killed = false;
    try {
      const [inA, inB] = [breakersOn(stores[0]), breakersOn(stores[1])];
      const channels = onLost.map((name) => `{${prefix}${name}}:changes`);
      await vi.waitFor(async () => expect(await cluster.shardSubscribers(lost, channels)).toEqual(channels.map(() => 2)), { timeout: 10_000, interval: 100 });
      const warm = [...inB.values()].map((b) => next(b, 'open'));
      for (const breaker of inA.values()) breaker.open();
      await within('the first opens', 10_000, Promise.all(warm));

      await cluster.kill(lost);
      killed = true;
      // The other masters' breakers keep sharing while the replica is not promoted yet (that they
      // do by push is cluster.test.ts's 'a master killed' test, with no polling at all).
      const closes = onOthers.map((name) => next(inB.get(name)!, 'close'));
      for (const name of onOthers) inA.get(name)!.close();
      await within('the closes on the masters still up to reach B', 10_000, Promise.all(closes));

      // Promoted (about 2 s with cluster-node-timeout 1 s); it holds the records, replicated.
      await cluster.servedBy(keySlot(prefix + names[0]!), replica);
      // Its breakers come back at a tick once a probe is answered: a probe the client never
      // answered (queued for the dead master) is replaced after twice the wait each time.
      await vi.waitFor(
        () => {
          expect(stores.map((store) => store.connected)).toEqual([true, true]);
          expect(events.filter((e) => e.startsWith('storeUp')).length).toBe(events.filter((e) => e.startsWith('storeDown')).length);
        },
        { timeout: 20_000, interval: 50 },
      );
      expect(events.filter((e) => onOthers.some((name) => e.endsWith(` ${name}`)))).toEqual([]);
      expect(onLost.map((name) => inB.get(name)!.state)).toEqual(onLost.map(() => 'open'));
      // Push on the lost slots comes back on the promoted replica, both ways.
      await vi.waitFor(async () => expect(await cluster.shardSubscribers(replica, channels)).toEqual(channels.map(() => 2)), { timeout: 15_000, interval: 100 });
      const lostCloses = onLost.map((name) => next(inB.get(name)!, 'close'));
      for (const name of onLost) inA.get(name)!.close();
      await within('the closes on the promoted replica to reach B by push', 10_000, Promise.all(lostCloses));
      const opens = [...inA.values()].map((b) => next(b, 'open'));
      for (const breaker of inB.values()) breaker.open();
      await within('the opens after the failover to reach A by push', 10_000, Promise.all(opens));
    } finally {
      for (const store of stores) store.close();
      for (const connection of connections) connection.quit();
      // Started again, the old master rejoins as the replica of the one promoted in its place.
      if (killed) await cluster.restart(lost);
    }
  }, 60_000);
});
