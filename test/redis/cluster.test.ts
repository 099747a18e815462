import { CircuitBreaker, countWindow, type CircuitStore } from 'circuitry';
import { redisStore } from 'circuitry/redis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { keySlot } from '../../src/adapters/redis/key-slot.js';
import { startRedisCluster } from '../helpers/redis-cluster.js';
import { CLUSTER_CLIENT_KINDS, CLUSTER_CLIENTS as clusterClients, type ClusterClientKind } from './cluster-clients.js';

// A real Redis Cluster of three masters. Nothing here is skipped: a redis-server that cannot run
// a cluster fails beforeAll, and so every test of this file.

let cluster: Awaited<ReturnType<typeof startRedisCluster>>;

beforeAll(async () => {
  cluster = await startRedisCluster();
}, 90_000);

afterAll(async () => {
  await cluster?.stop();
});

/** The two cluster clients circuitry supports, connected through the cluster's first master. */
const CLUSTER_CLIENTS = Object.fromEntries(CLUSTER_CLIENT_KINDS.map((kind) => [kind, () => clusterClients[kind](cluster.ports[0]!)])) as {
  [K in ClusterClientKind]: () => ReturnType<(typeof clusterClients)[K]>;
};

/** Two processes of a fleet, as Redis sees them: two connections, two stores, one prefix. */
async function twoProcesses(kind: keyof typeof CLUSTER_CLIENTS, prefix: string, timeout: number) {
  const connections = [await CLUSTER_CLIENTS[kind](), await CLUSTER_CLIENTS[kind]()];
  // Syncs are driven by the test (store.sync()), not by the interval.
  const stores = connections.map(({ client }) => redisStore(client, { prefix, syncInterval: 600_000, timeout }));
  const close = () => {
    for (const store of stores) store.close();
    for (const connection of connections) connection.quit();
  };
  return { stores: stores as [CircuitStore, CircuitStore], close };
}

const breakersOn = (store: CircuitStore, names: string[], events?: string[]) =>
  names.map((name) => {
    const breaker = new CircuitBreaker({ name, registry: false, store, recoveryTimeout: 600_000, reportError: () => {} });
    breaker.on('storeDown', () => events?.push(`storeDown ${name}`));
    breaker.on('storeUp', () => events?.push(`storeUp ${name}`));
    return breaker;
  });

/** Syncs every store until `check` holds; each sync is a round of requests, paced, with a deadline. */
async function syncUntil(what: string, stores: CircuitStore[], check: () => boolean, deadline = 30_000): Promise<void> {
  const giveUp = Date.now() + deadline;
  while (!check()) {
    if (Date.now() > giveUp) throw new Error(`timed out waiting for ${what}`);
    await Promise.all(stores.map((store) => store.sync()));
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

it("routes each request by its record's key through a node-redis cluster's sendCommand(firstKey, isReadonly, args)", async () => {
  const sent: [string | undefined, boolean | undefined, string[]][] = [];
  const client = {
    masters: [],
    sendCommand: async (firstKey: string | undefined, isReadonly: boolean | undefined, args: string[]) => {
      sent.push([firstKey, isReadonly, args]);
      // A read of records (batched per node) is answered with Redis's time, then five elements per key.
      return args.length === 4 ? [1, 'none', 0, 0, 0, 0] : ['none', 0, 0, 0, 0, 0, 0, 1];
    },
  };
  const store = redisStore(client, { prefix: 'shaped:', syncInterval: 600_000 });
  new CircuitBreaker({ name: 'payments', registry: false, store });
  await store.sync();
  store.close();
  expect(sent.length).toBeGreaterThan(0);
  for (const [firstKey, isReadonly, args] of sent) {
    expect([firstKey, isReadonly, args[0], args[2], args[3]]).toEqual(['shaped:payments', false, 'EVALSHA', '1', 'shaped:payments']);
  }
});

it('computes a key\'s slot as the cluster does (CLUSTER KEYSLOT), hash tags included', async () => {
  const keys = ['circuitry:payments', 'a', '', '{user1000}.following', 'foo{}{bar}', 'foo{{bar}}zap', 'foo{bar}{zap}', 'ключ', 'x'.repeat(300)];
  for (const key of keys) expect(keySlot(key), key).toBe(await cluster.keySlot(key));
});

/** `names` grouped by the master that serves their record's key. */
async function byMaster(prefix: string, names: string[]): Promise<string[][]> {
  const groups: string[][] = [[], [], []];
  const masterOf = await cluster.slotMasters();
  for (const name of names) groups[masterOf[keySlot(prefix + name)]!]!.push(name);
  return groups;
}

describe.each(Object.keys(CLUSTER_CLIENTS) as (keyof typeof CLUSTER_CLIENTS)[])('redisStore over a Redis Cluster through %s', (kind) => {
  it('keeps each breaker in one key on the master of its slot, spread over all three, and shares it between two processes', async () => {
    const prefix = `spread:${kind}:`;
    const names = Array.from({ length: 30 }, (_, i) => `dependency-${i}`);
    const { stores, close } = await twoProcesses(kind, prefix, 2_000);
    try {
      const [inA, inB] = [breakersOn(stores[0], names), breakersOn(stores[1], names)];
      await Promise.all(stores.map((store) => store.sync()));
      for (const breaker of inA) breaker.open();
      await stores[0].sync();

      const groups = await byMaster(prefix, names);
      expect(groups.map((group) => group.length > 0)).toEqual([true, true, true]);
      for (const [index, group] of groups.entries()) {
        expect((await cluster.keysOn(index, prefix)).sort()).toEqual(group.map((name) => prefix + name).sort());
      }

      await stores[1].sync();
      expect(inB.map((b) => b.state)).toEqual(names.map(() => 'open'));
      for (const breaker of inB.slice(0, 10)) breaker.close();
      await stores[1].sync();
      await stores[0].sync();
      expect(inA.map((b) => b.state)).toEqual([...names.slice(0, 10).map(() => 'closed'), ...names.slice(10).map(() => 'open')]);
      expect(stores.map((store) => store.connected)).toEqual([true, true]);
    } finally {
      close();
    }
  }, 60_000);

  // Health is per part of the store: redisStore tells the store each record's slot
  // (`partitionOf`), so a request failing on the lost master sends away only its slots' breakers.
  it('a lost master sends away only the breakers whose records it served: the others keep sharing, and the lost ones come back with it', async () => {
    const prefix = `lost:${kind}:`;
    const lost = 2;
    const names = Array.from({ length: 18 }, (_, i) => `dependency-${i}`);
    const groups = await byMaster(prefix, names);
    const [onLost, onOthers] = [groups[lost]!, names.filter((name) => !groups[lost]!.includes(name))];
    expect(onLost.length).toBeGreaterThan(0);
    expect(onOthers.length).toBeGreaterThan(0);
    const eventsA: string[] = [];
    const eventsB: string[] = [];
    const { stores, close } = await twoProcesses(kind, prefix, 500);
    let killed = false;
    try {
      const inA = new Map(breakersOn(stores[0], names, eventsA).map((b) => [b.name, b]));
      const inB = new Map(breakersOn(stores[1], names, eventsB).map((b) => [b.name, b]));
      await Promise.all(stores.map((store) => store.sync()));
      expect([...eventsA, ...eventsB]).toEqual([]);

      await cluster.kill(lost);
      killed = true;
      for (const breaker of inA.values()) breaker.open();
      // An open in process A reaches process B for every breaker whose master is up...
      await syncUntil('the opens on the masters still up to reach B', stores, () => onOthers.every((name) => inB.get(name)!.state === 'open'));
      // ...and the lost master's breakers, each told once in each process, decide alone.
      await syncUntil('storeDown for the breakers of the lost master', stores, () =>
        onLost.every((name) => eventsA.includes(`storeDown ${name}`) && eventsB.includes(`storeDown ${name}`)),
      );
      const downed = (events: string[]) => events.filter((e) => e.startsWith('storeDown')).sort();
      expect(downed(eventsA)).toEqual(onLost.map((name) => `storeDown ${name}`).sort());
      expect(downed(eventsB)).toEqual(onLost.map((name) => `storeDown ${name}`).sort());

      await cluster.restart(lost);
      killed = false;
      // Back, empty: A's opens still running are put back, B takes them in, and both say storeUp.
      await syncUntil('the lost master back for its breakers', stores, () =>
        onLost.every((name) => eventsA.includes(`storeUp ${name}`) && eventsB.includes(`storeUp ${name}`) && inB.get(name)!.state === 'open'),
      );
      expect(eventsA.filter((e) => e.startsWith('storeUp')).sort()).toEqual(onLost.map((name) => `storeUp ${name}`).sort());
      expect(stores.map((store) => store.connected)).toEqual([true, true]);
    } finally {
      close();
      if (killed) await cluster.restart(lost);
    }
  }, 90_000);
  it('while a master is lost, opens on the others reach the other process; once it is back, so do the opens its breakers decided meanwhile', async () => {
    const prefix = `back:${kind}:`;
    const lost = 1;
    const names = Array.from({ length: 18 }, (_, i) => `dependency-${i}`);
    const groups = await byMaster(prefix, names);
    const onOthers = names.filter((name) => !groups[lost]!.includes(name));
    expect(groups[lost]!.length).toBeGreaterThan(0);
    const { stores, close } = await twoProcesses(kind, prefix, 500);
    let killed = false;
    try {
      const inA = breakersOn(stores[0], names);
      const inB = new Map(breakersOn(stores[1], names).map((b) => [b.name, b]));
      await Promise.all(stores.map((store) => store.sync()));
      await cluster.kill(lost);
      killed = true;
      for (const breaker of inA) breaker.open();
      await syncUntil('the opens on the masters still up to reach B', stores, () => onOthers.every((name) => inB.get(name)!.state === 'open'));
      await cluster.restart(lost);
      killed = false;
      // The lost master came back empty: A's opens, still running, are put back and reach B.
      await syncUntil('every open to reach B', stores, () => [...inB.values()].every((b) => b.state === 'open') && stores.every((s) => s.connected));
      expect((await cluster.keysOn(lost, prefix)).sort()).toEqual(groups[lost]!.map((name) => prefix + name).sort());
    } finally {
      close();
      if (killed) await cluster.restart(lost);
    }
  }, 90_000);
});

/** Two processes with push: no sync on a timer within a test's seconds, so what arrives came by push. */
async function pushedProcesses(kind: keyof typeof CLUSTER_CLIENTS, prefix: string) {
  const connections = [await CLUSTER_CLIENTS[kind](), await CLUSTER_CLIENTS[kind]()];
  const stores = connections.map(({ client }) => redisStore(client, { prefix, syncInterval: 60_000, resyncInterval: 60_000, timeout: 2_000 }));
  const close = () => {
    for (const store of stores) store.close();
    for (const connection of connections) connection.quit();
  };
  return { stores: stores as [CircuitStore, CircuitStore], close };
}

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

describe.each(Object.keys(CLUSTER_CLIENTS) as (keyof typeof CLUSTER_CLIENTS)[])('push over a Redis Cluster through %s', (kind) => {
  it('an open and a close reach the other process by sharded push, published on the shard of the record only', async () => {
    const prefix = `push:${kind}:`;
    const names = Array.from({ length: 9 }, (_, i) => `dependency-${i}`);
    const groups = await byMaster(prefix, names);
    expect(groups.map((group) => group.length > 0)).toEqual([true, true, true]);
    const { stores, close } = await pushedProcesses(kind, prefix);
    try {
      const [inA, inB] = [breakersOn(stores[0], names), breakersOn(stores[1], names)];
      // Each process subscribes to each breaker's channel, on the master of its slot.
      await vi.waitFor(async () => {
        for (const [index, group] of groups.entries()) {
          const counts = await cluster.shardSubscribers(index, group.map((name) => `{${prefix}${name}}:changes`));
          expect(counts).toEqual(group.map(() => 2));
        }
      }, { timeout: 10_000, interval: 100 });
      const published = await cluster.commandCalls('spublish');
      for (let round = 0; round < 3; round++) {
        const opens = inB.map((b) => next(b, 'open'));
        for (const breaker of inA) breaker.open();
        await within('the opens to reach B by push', 10_000, Promise.all(opens));
        const closes = inA.map((b) => next(b, 'close'));
        for (const breaker of inB) breaker.close();
        await within('the closes to reach A by push', 10_000, Promise.all(closes));
      }
      // Each change was published once, on the master of its record (with the canaries, which go
      // to every master), never broadcast over the cluster bus.
      const after = await cluster.commandCalls('spublish');
      for (const [index, group] of groups.entries()) expect(after[index]! - published[index]!).toBeGreaterThanOrEqual(group.length * 6);
      expect(await cluster.commandCalls('publish')).toEqual([0, 0, 0]);
    } finally {
      close();
    }
  });

  it("a shard's subscriptions killed (CLIENT KILL TYPE pubsub): no open is lost, and push comes back by itself", async () => {
    const prefix = `killed:${kind}:`;
    const lost = 1;
    const names = Array.from({ length: 12 }, (_, i) => `dependency-${i}`);
    const groups = await byMaster(prefix, names);
    expect(groups.map((group) => group.length > 0)).toEqual([true, true, true]);
    const channels = groups[lost]!.map((name) => `{${prefix}${name}}:changes`);
    const { stores, close } = await pushedProcesses(kind, prefix);
    try {
      const [inA, inB] = [breakersOn(stores[0], names), breakersOn(stores[1], names)];
      const subscribed = () =>
        vi.waitFor(async () => expect(await cluster.shardSubscribers(lost, channels)).toEqual(channels.map(() => 2)), { timeout: 10_000, interval: 100 });
      await subscribed();
      const warm = inB.map((b) => next(b, 'open'));
      for (const breaker of inA) breaker.open();
      await within('the first opens', 10_000, Promise.all(warm));

      await cluster.command(lost, 'CLIENT', 'KILL', 'TYPE', 'pubsub');
      // Closed right after: the lost shard's closes are read when its canary goes missing (1.5 s at
      // most) or when its subscription is back, the others arrive by push.
      const closes = inB.map((b) => next(b, 'close'));
      for (const breaker of inA) breaker.close();
      await within('every close to reach B', 12_000, Promise.all(closes));

      // Subscribed again by itself, and pushing again on that shard.
      await subscribed();
      const opens = inB.map((b) => next(b, 'open'));
      for (const breaker of inA) breaker.open();
      await within('the opens after the subscriptions came back', 10_000, Promise.all(opens));
      expect(stores.map((store) => store.connected)).toEqual([true, true]);
    } finally {
      close();
    }
  });

  it('a master killed: opens on the other masters still arrive by push, and once it is back its breakers share again', async () => {
    const prefix = `pushkill:${kind}:`;
    const lost = 0;
    const names = Array.from({ length: 12 }, (_, i) => `dependency-${i}`);
    const groups = await byMaster(prefix, names);
    const onOthers = names.filter((name) => !groups[lost]!.includes(name));
    expect(groups[lost]!.length).toBeGreaterThan(0);
    const { stores, close } = await pushedProcesses(kind, prefix);
    let killed = false;
    try {
      const inA = breakersOn(stores[0], names);
      const inB = new Map(breakersOn(stores[1], names).map((b) => [b.name, b]));
      await vi.waitFor(async () => {
        for (const [index, group] of groups.entries()) {
          expect(await cluster.shardSubscribers(index, group.map((name) => `{${prefix}${name}}:changes`))).toEqual(group.map(() => 2));
        }
      }, { timeout: 10_000, interval: 100 });
      await cluster.kill(lost);
      killed = true;
      const opens = onOthers.map((name) => next(inB.get(name)!, 'open'));
      for (const breaker of inA) breaker.open();
      // No sync runs on a timer within the test (syncInterval 60 s): these came by push.
      await within('the opens on the masters still up to reach B by push', 10_000, Promise.all(opens));
      await cluster.restart(lost);
      killed = false;
      await syncUntil('every open to reach B once the master is back', stores, () => [...inB.values()].every((b) => b.state === 'open') && stores.every((s) => s.connected));
    } finally {
      close();
      if (killed) await cluster.restart(lost);
    }
  }, 60_000);

  it('a slot moved live (IMPORTING/MIGRATING, MIGRATE, SETSLOT NODE): no open or close lost, the subscription follows the slot, and push carries the changes after it', async () => {
    const prefix = `moved:${kind}:`;
    const names = Array.from({ length: 12 }, (_, i) => `dependency-${i}`);
    const moved = names[0]!;
    const slot = keySlot(prefix + moved);
    const from = (await cluster.slotMasters())[slot]!;
    const to = (from + 1) % 3;
    const channel = `{${prefix}${moved}}:changes`;
    const events: string[] = [];
    const { stores, close } = await pushedProcesses(kind, prefix);
    try {
      const inA = new Map(breakersOn(stores[0], names, events).map((b) => [b.name, b]));
      const inB = new Map(breakersOn(stores[1], names, events).map((b) => [b.name, b]));
      const [a, b] = [inA.get(moved)!, inB.get(moved)!];
      const subscribedOn = (index: number) =>
        vi.waitFor(async () => expect(await cluster.shardSubscribers(index, [channel])).toEqual([2]), { timeout: 10_000, interval: 100 });
      await subscribedOn(from);
      const warm = next(b, 'open');
      a.open();
      await within('the first open', 10_000, warm);
      // Every step is made while both processes read their records in batches (a resync each).
      const resync = () => Promise.all(stores.map((store) => store.sync()));

      const move = await cluster.slotMove(slot, from, to);
      await move.begin();
      await resync();
      // Migrating, its key still on the old master: a close there reaches the other process.
      const closed = next(a, 'close');
      b.close();
      await within('the close made while the slot was migrating', 10_000, closed);

      await move.moveKeys();
      // The key on the new master, the slot not yet: requests are redirected there (ASK), and
      // the change is published where no one subscribes yet: it is read once the slot has moved
      // and its channel is subscribed again there.
      await resync();
      const opened = next(a, 'open');
      b.open();
      await move.finish();
      await within('the open made while the key was moving', 10_000, opened);

      // The subscriptions follow the slot, and push carries what changes after the move.
      await subscribedOn(to);
      for (let round = 0; round < 3; round++) {
        const closes = next(b, 'close');
        a.close();
        await within('a close after the move to reach B by push', 10_000, closes);
        const opens = next(a, 'open');
        b.open();
        await within('an open after the move to reach A by push', 10_000, opens);
      }
      await resync();
      // Only the moved slot's breaker may have been away meanwhile, and it is back by itself.
      expect(events.filter((e) => !e.endsWith(` ${moved}`))).toEqual([]);
      await vi.waitFor(() => expect(events.filter((e) => e.startsWith('storeUp')).length).toBe(events.filter((e) => e.startsWith('storeDown')).length), {
        timeout: 10_000,
        interval: 50,
      });
      expect(stores.map((store) => store.connected)).toEqual([true, true]);
      expect(await cluster.keysOn(to, prefix + moved)).toEqual([prefix + moved]);
    } finally {
      close();
    }
  }, 60_000);

  it('reads the records of many breakers in one script per node and per 200 keys', async () => {
    const prefix = `batched:${kind}:`;
    const names = Array.from({ length: 1_000 }, (_, i) => `dependency-${i}`);
    const connection = await CLUSTER_CLIENTS[kind]();
    const store = redisStore(connection.client, { prefix, syncInterval: 600_000, subscriber: false, timeout: 5_000 });
    try {
      const breakers = breakersOn(store, names);
      await store.sync();
      const perMaster = (await byMaster(prefix, names)).map((group) => group.length);
      const calls = async () => {
        const [sha, text] = [await cluster.commandCalls('evalsha'), await cluster.commandCalls('eval')];
        return sha.map((n, i) => n + text[i]!);
      };
      const before = await calls();
      await store.sync();
      const after = await calls();
      const scripts = after.map((n, i) => n - before[i]!);
      // One script per node per 200 keys: a batch may span a few slots more than the node's share.
      scripts.forEach((n, i) => {
        expect(n, `scripts on master ${i} for ${perMaster[i]} breakers`).toBeGreaterThanOrEqual(Math.ceil(perMaster[i]! / 200));
        expect(n, `scripts on master ${i} for ${perMaster[i]} breakers`).toBeLessThanOrEqual(Math.ceil(perMaster[i]! / 200) + 1);
      });
      expect(breakers.every((b) => b.state === 'closed')).toBe(true);
      expect(store.connected).toBe(true);
    } finally {
      store.close();
      connection.quit();
    }
  });
});


/** The calls counted in the fleet's window of each of `names` (a hash of its own, in its record's slot), as Redis holds them. */
async function fleetCalls(prefix: string, names: string[]): Promise<number[]> {
  const masterOf = await cluster.slotMasters();
  return Promise.all(
    names.map(async (name) => {
      const key = `${prefix}${name}`;
      const windows = key.includes('{') ? `${key}:counts` : `{${key}}:counts`;
      const text = (await cluster.command(masterOf[keySlot(windows)]!, 'HGET', windows, name)).trim();
      return text === '' ? 0 : (JSON.parse(text) as { b: number[][] }).b.reduce((sum, slice) => sum + slice[1]!, 0);
    }),
  );
}

/** Scripts run to their end on all masters (EVALSHA and EVAL; a NOSCRIPT refusal does not count). */
async function scriptsRun(): Promise<number> {
  let total = 0;
  for (const index of [0, 1, 2]) {
    const stats = await cluster.command(index, 'INFO', 'commandstats');
    for (const command of ['evalsha', 'eval']) {
      const line = new RegExp(`cmdstat_${command}:calls=(\\d+).*failed_calls=(\\d+)`).exec(stats);
      if (line !== null) total += Number(line[1]) - Number(line[2]);
    }
  }
  return total;
}

describe.each(Object.keys(CLUSTER_CLIENTS) as (keyof typeof CLUSTER_CLIENTS)[])("judge: 'fleet' over a Redis Cluster through %s", (kind) => {
  const fail = () => Promise.reject(new Error('down'));
  const succeed = () => Promise.resolve('ok');
  const fleetBreaker = (store: CircuitStore, name: string) =>
    new CircuitBreaker({ name, registry: false, store, recoveryTimeout: 600_000, reportError: () => {}, policy: countWindow({ size: 100, minimumCalls: 20, failureRate: 0.5 }) });
  /** `calls` calls through `breaker` at once, `failures` of them failing: one tally, in one flush. */
  const calls = (breaker: CircuitBreaker, count: number, failures: number) =>
    Promise.all(Array.from({ length: count }, (_, i) => breaker.execute(i < failures ? fail : succeed).catch(() => {})));

  it('the fleet window opens each breaker by counting, two in one slot and one in another, and the other process learns each open by push', async () => {
    const prefix = `fleet:${kind}:`;
    // Two names with one hash tag share a slot; a third has its own.
    const [first, second, solo] = ['{pair}first', '{pair}second', 'solo'];
    expect(keySlot(prefix + first)).toBe(keySlot(prefix + second));
    expect(keySlot(prefix + solo)).not.toBe(keySlot(prefix + first));
    const connections = [await CLUSTER_CLIENTS[kind](), await CLUSTER_CLIENTS[kind]()];
    const stores = connections.map(({ client }) =>
      redisStore(client, { prefix, syncInterval: 60_000, resyncInterval: 60_000, timeout: 2_000, judge: 'fleet', countInterval: 50 }),
    ) as [CircuitStore, CircuitStore];
    try {
      // A holds the three; B two of them, not the first of the slot they share.
      const inA = new Map([first, second, solo].map((name) => [name, fleetBreaker(stores[0], name)]));
      const inB = new Map([second, solo].map((name) => [name, fleetBreaker(stores[1], name)]));
      await vi.waitFor(async () => {
        for (const name of [second, solo]) {
          const channel = `${prefix.includes('{') || name.includes('{') ? prefix + name : `{${prefix}${name}}`}:changes`;
          const master = (await cluster.slotMasters())[keySlot(channel)]!;
          expect(await cluster.shardSubscribers(master, [channel])).toEqual([2]);
        }
      }, { timeout: 10_000, interval: 100 });

      // B's calls first: below minimumCalls, they open nothing but are counted in the fleet's windows.
      await Promise.all([calls(inB.get(second)!, 12, 10), calls(inB.get(solo)!, 12, 10)]);
      await vi.waitFor(async () => expect(await fleetCalls(prefix, [second, solo])).toEqual([12, 12]), { timeout: 10_000, interval: 50 });
      expect([...inB.values()].map((b) => b.state)).toEqual(['closed', 'closed']);

      // A's calls, in one tally each, one flush: the windows trip, each opened once, and B hears of each by push.
      const heard = [second, solo].map((name) => next(inB.get(name)!, 'open'));
      await Promise.all([calls(inA.get(first)!, 20, 16), calls(inA.get(second)!, 12, 10), calls(inA.get(solo)!, 12, 10)]);
      await within("the fleet's opens to reach B by push", 10_000, Promise.all(heard));
      await vi.waitFor(() => expect([...inA.values()].map((b) => b.state)).toEqual(['open', 'open', 'open']), { timeout: 10_000, interval: 50 });
      expect(stores.map((store) => store.connected)).toEqual([true, true]);
    } finally {
      for (const store of stores) store.close();
      for (const connection of connections) connection.quit();
    }
  });

  it("flushes many breakers' counts in one script per slot: a count script touches the keys of one slot only", async () => {
    const prefix = `fleetmany:${kind}:`;
    const names = Array.from({ length: 300 }, (_, i) => `dependency-${i}`);
    const slots = new Set(names.map((name) => keySlot(prefix + name)));
    const connection = await CLUSTER_CLIENTS[kind]();
    const store = redisStore(connection.client, { prefix, syncInterval: 600_000, subscriber: false, timeout: 5_000, judge: 'fleet', countInterval: 50 });
    try {
      const breakers = names.map((name) => fleetBreaker(store, name));
      await store.sync();
      const before = await scriptsRun();
      await Promise.all(breakers.map((breaker) => calls(breaker, 2, 1)));
      // Every window counted: no script was refused for keys of several slots (CROSSSLOT).
      await vi.waitFor(async () => {
        const counted = await fleetCalls(prefix, names);
        expect(counted.filter((n) => n !== 2)).toEqual([]);
      }, { timeout: 12_000, interval: 200 });
      // One script per slot.
      expect((await scriptsRun()) - before).toBe(slots.size);
      expect(breakers.every((b) => b.state === 'closed')).toBe(true);
      expect(store.connected).toBe(true);
    } finally {
      store.close();
      connection.quit();
    }
  }, 30_000);
});
