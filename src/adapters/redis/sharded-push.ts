/**
 * Push in a Redis Cluster, through sharded pub/sub (Redis 7): each record's changes are published
 * with `SPUBLISH` on a channel of the record's own slot (`{key}:changes`, see `tagLike`), so a
 * message reaches the subscribers of that shard only, never every node; each store subscribes
 * (`SSUBSCRIBE`) to the channels of the breakers it holds, on a cluster connection of its own
 * whose client keeps one subscriber connection per master.
 *
 * Trust is per node: the store's canary is sent on every node that holds one of its breakers (on
 * a canary channel in that node's slots), and a node whose canary is not back within
 * {@link NODE_CANARY_TIMEOUT} ms has its breakers polled (hinted every poll interval) while the
 * others stay on push; the store hears its canary back as long as one node answered. Nothing
 * answered, the store gives the subscription up, as on one node. A node lost for
 * {@link ESCALATE_AFTER} canaries in a row has the whole subscription made anew.
 */
import type { PushListener, SharedStatePush } from 'circuitry/store';
import { keySlot, tagLike } from './key-slot.js';
import type { SendCommand } from './redis-client.js';
import { DROP_EVENTS, end, shown } from './subscriber.js';

/**
 * Milliseconds a node's canary may take before that node's breakers are polled: half the store's
 * own canary timeout, so that the canary of the nodes that answered still reaches the store in time.
 */
const NODE_CANARY_TIMEOUT = 500;
/** Canaries in a row a node may miss before the subscription is made anew; doubled each time it is, up to {@link ESCALATE_MAX}. */
const ESCALATE_AFTER = 5;
const ESCALATE_MAX = 60;
/** Milliseconds a canary waits for channels just asked for before it is sent without their nodes. */
const CHANNEL_WAIT = 300;
/** Milliseconds after which a subscription request not answered is sent again. */
const ASK_AGAIN_AFTER = 5000;

/**
 * What a cluster client emits when one node's connection drops: ioredis `-node` (its connection
 * and the node's `host:port`), node-redis `node-reconnecting`, `node-disconnect` and `node-error`
 * (with the node's `{ host, port }`).
 */
const NODE_DROP_EVENTS = ['-node', 'node-reconnecting', 'node-disconnect', 'node-error'];

/** The node named in a node event's arguments, as `host:port` (the form of `nodeOfSlotIn`). */
function nodeNamedIn(args: readonly unknown[]): string | undefined {
  for (const arg of args) {
    if (typeof arg === 'string' && arg.includes(':')) return arg;
    const address = (arg as { host?: unknown; port?: unknown; options?: { host?: unknown; port?: unknown } } | null) ?? undefined;
    const { host, port } = address?.options ?? address ?? {};
    if (typeof arg === 'object' && host !== undefined && port !== undefined) return `${String(host)}:${String(port)}`;
  }
  return undefined;
}

/** The channel on which the changes of the record at `key` are published: in the key's slot. */
export const changesChannel = (key: string): string => `${tagLike(key)}:changes`;

/** A cluster client that can subscribe to shard channels: ioredis (`ssubscribe`, `smessage` events) or node-redis (`sSubscribe`). */
interface ShardSubscribable {
  ssubscribe?(...channels: string[]): Promise<unknown>;
  sunsubscribe?(...channels: string[]): Promise<unknown>;
  sSubscribe?(channels: string, listener: (message: string, channel: string) => void): Promise<unknown>;
  sUnsubscribe?(channels: string, listener: (message: string, channel: string) => void): Promise<unknown>;
  on?(event: string, handler: (...args: never[]) => void): unknown;
  off?(event: string, handler: (...args: never[]) => void): unknown;
  duplicate?(...overrides: unknown[]): unknown;
  connect?(): Promise<unknown>;
  isOpen?: boolean;
  call?: unknown;
}

type Source = () => Promise<{ connection: ShardSubscribable; owned: boolean }>;

const canShardSubscribe = (c: unknown): c is ShardSubscribable =>
  typeof (c as ShardSubscribable | null)?.ssubscribe === 'function' || typeof (c as ShardSubscribable | null)?.sSubscribe === 'function';

/** Whether sharded push can run over the cluster `client` (duplicated) or `subscriber` (given). */
export function shardedSource(client: unknown, subscriber: unknown): Source | undefined {
  if (subscriber === false) return undefined;
  if (subscriber !== undefined) {
    if (!canShardSubscribe(subscriber)) throw new TypeError(`subscriber must be false or a Redis cluster client that can subscribe to shard channels (SSUBSCRIBE), got ${shown(subscriber)}`);
    return async () => ({ connection: subscriber, owned: false });
  }
  const c = client as ShardSubscribable | null;
  if (typeof c?.duplicate !== 'function') return undefined;
  return async () => {
    // ioredis routes SSUBSCRIBE to the shard's master only with `shardedSubscribers` (one
    // subscriber connection per master); without it, every shard channel would go to one node.
    const ioredis = typeof c.call === 'function';
    // Seeded with the masters the client knows now, then its own seeds: a seed given at startup
    // may be a master since lost (failed over), and a duplicate seeded by it alone never connects.
    const masters = knownMasters(c);
    const made = (
      ioredis
        ? c.duplicate!([...masters, ...((c as { startupNodes?: unknown[] }).startupNodes ?? [])], { shardedSubscribers: true })
        : c.duplicate!(masters.length === 0 ? undefined : { rootNodes: [...masters.map((socket) => ({ socket })), ...((c as { _options?: { rootNodes?: unknown[] } })._options?.rootNodes ?? [])] })
    ) as ShardSubscribable;
    made.on?.('error', () => {});
    if (!ioredis && typeof made.connect === 'function' && made.isOpen !== true) await made.connect();
    if (!canShardSubscribe(made)) throw new Error('circuitry: the duplicated Redis cluster client cannot subscribe to shard channels');
    return { connection: made, owned: true };
  };
}

/** The masters a cluster client knows now: ioredis `nodes('master')`, node-redis `masters`. */
function knownMasters(client: ShardSubscribable): { host: string; port: number }[] {
  const c = client as { nodes?: (role: string) => { options?: { host?: unknown; port?: unknown } }[]; masters?: { host?: unknown; port?: unknown }[] };
  const found = typeof c.nodes === 'function' ? c.nodes('master').map((node) => node.options ?? {}) : Array.isArray(c.masters) ? c.masters : [];
  return found.flatMap(({ host, port }) => (typeof host === 'string' && typeof port === 'number' ? [{ host, port }] : []));
}

/** One subscription's connection, whatever the client: subscribes one channel, and ends. */
interface ShardConnection {
  subscribe(channel: string): Promise<unknown>;
  close(): void;
}

function shardConnection(connection: ShardSubscribable, owned: boolean, deliver: (channel: string, message: string) => void): ShardConnection {
  const asked = new Set<string>();
  if (typeof connection.ssubscribe === 'function') {
    const listener = (channel: unknown, message: unknown) => deliver(String(channel), String(message));
    connection.on?.('smessage', listener as never);
    return {
      subscribe: (channel) => (asked.add(channel), connection.ssubscribe!(channel)),
      close() {
        connection.off?.('smessage', listener as never);
        if (owned) return end(connection as never);
        // One channel per command: ioredis refuses channels of several slots in one.
        for (const channel of asked) void connection.sunsubscribe?.(channel).catch(() => {});
      },
    };
  }
  const listener = (message: unknown, channel: unknown) => deliver(String(channel), String(message));
  return {
    subscribe: (channel) => (asked.add(channel), connection.sSubscribe!(channel, listener)),
    close() {
      if (owned) return end(connection as never);
      for (const channel of asked) void connection.sUnsubscribe?.(channel, listener).catch(() => {});
    },
  };
}

/** A breaker's name, with what the push needs of it. */
interface Watched {
  readonly key: string;
  readonly slot: number;
  readonly channel: string;
  /** The node its slot was on at the last canary: a slot that moved is subscribed again. */
  node: string | undefined;
}

/** A canary sent to every node at once, for one canary of the store. */
interface Round {
  readonly token: string;
  /** Canary channel to node, for the nodes this round checks. */
  readonly waiting: Map<string, string>;
  readonly returned: Set<string>;
  timer: ReturnType<typeof setTimeout> | undefined;
}

/** One subscription: its connection, and how each node and channel stands on it. */
interface Subscription {
  readonly connection: ShardConnection;
  readonly listener: PushListener;
  /** Channels confirmed ('ready') or asked for (when, and the answer); one refused is dropped, to be asked again. */
  readonly channels: Map<string, 'ready' | { readonly at: number; answered: Promise<void> }>;
  /** Nodes whose canary came back since the subscription was made and none missed since. */
  readonly trusted: Set<string>;
  readonly misses: Map<string, number>;
  round: Round | undefined;
  /** Whether the store has heard a canary back: until then it reads everything itself. */
  echoed: boolean;
  readonly poller: ReturnType<typeof setInterval>;
  readonly dropped: () => void;
  readonly nodeDropped: (...args: unknown[]) => void;
  readonly raw: ShardSubscribable;
}

export interface ShardedPush extends SharedStatePush {
  /** A breaker of `name` is attached: its channel is subscribed, now or with the next subscription. */
  watch(name: string): void;
}

export function shardedPush(send: SendCommand, source: Source, prefix: string, nodeOfSlot: (slot: number) => string, pollInterval: number): ShardedPush {
  const id = `${Math.random().toString(36).slice(2)}${Date.now().toString(36)}`;
  const canarySuffix = `:canary:${id}`;
  const watched = new Map<string, Watched>();
  /** Canaries in a row a node may miss before the subscription is made anew, per node, across subscriptions. */
  const patience = new Map<string, number>();
  let current: Subscription | undefined;
  /** Nodes whose last canary's publish has not been answered yet. */
  const publishing = new Set<string>();
  /** Counts unsubscriptions, so that a connection made while one came is ended, not kept. */
  let ended = 0;

  const ask = (s: Subscription, channel: string, onReady?: () => void): Promise<void> => {
    const state = s.channels.get(channel);
    if (state === 'ready') return Promise.resolve();
    // A request unanswered for long (queued for a node that is gone) is sent again.
    if (state !== undefined && Date.now() - state.at < ASK_AGAIN_AFTER) return state.answered;
    const asked = { at: Date.now(), answered: Promise.resolve() };
    s.channels.set(channel, asked);
    asked.answered = Promise.resolve()
      .then(() => s.connection.subscribe(channel))
      .then(
        () => {
          if (current !== s || s.channels.get(channel) !== asked) return;
          s.channels.set(channel, 'ready');
          onReady?.();
        },
        () => {
          if (s.channels.get(channel) === asked) s.channels.delete(channel);
        },
      );
    return asked.answered;
  };

  /** Subscribed after the first canary came back: what was published before it is read once. */
  const watchChannel = (s: Subscription, name: string, w: Watched): Promise<void> =>
    ask(s, w.channel, () => {
      if (s.echoed) s.listener.hint(name, undefined);
    });

  /** The names attached, by the node their slot is on now. */
  const byNode = (): Map<string, string[]> => {
    const groups = new Map<string, string[]>();
    for (const [name, w] of watched) {
      const node = nodeOfSlot(w.slot);
      const group = groups.get(node);
      if (group === undefined) groups.set(node, [name]);
      else group.push(name);
    }
    return groups;
  };
  const canaryChannelOf = (name: string): string => `${tagLike(watched.get(name)!.key)}${canarySuffix}`;

  const hintAll = (s: Subscription, names: readonly string[]): void => {
    for (const name of names) s.listener.hint(name, undefined);
  };

  /** Hints every breaker whose node is not trusted: polling, for those nodes only. */
  const poll = (s: Subscription): void => {
    if (current !== s || !s.echoed) return;
    for (const [node, names] of byNode()) if (!s.trusted.has(node)) hintAll(s, names);
  };

  const nodeBack = (s: Subscription, node: string): void => {
    s.misses.delete(node);
    patience.delete(node);
    if (s.trusted.has(node)) return;
    s.trusted.add(node);
    // Hints published while it was not trusted may be lost: its breakers are read once more.
    if (s.echoed) hintAll(s, byNode().get(node) ?? []);
  };

  const nodeMissed = (s: Subscription, node: string): void => {
    const wasTrusted = s.trusted.delete(node);
    const misses = (s.misses.get(node) ?? 0) + 1;
    s.misses.set(node, misses);
    if (wasTrusted) hintAll(s, byNode().get(node) ?? []);
    const allowed = patience.get(node) ?? ESCALATE_AFTER;
    if (misses >= allowed) {
      patience.set(node, Math.min(allowed * 2, ESCALATE_MAX));
      s.listener.dropped();
    }
  };

  /**
   * A node's subscriber connection dropped: what was published until the client subscribes again
   * is lost, and a canary may well come back after that. Its breakers are read now, polled, and
   * read again once its canary is back.
   */
  const nodeDropped = (s: Subscription, node: string): void => {
    if (current !== s) return;
    s.trusted.delete(node);
    hintAll(s, byNode().get(node) ?? []);
  };

  const endRound = (s: Subscription, round: Round): void => {
    if (s.round !== round) return;
    s.round = undefined;
    if (round.timer !== undefined) clearTimeout(round.timer);
    for (const node of round.waiting.values()) if (!round.returned.has(node)) nodeMissed(s, node);
    if (current !== s || round.returned.size === 0) return;
    s.echoed = true;
    s.listener.canary(round.token);
  };

  const deliver = (s: Subscription, channel: string, message: string): void => {
    if (current !== s) return;
    if (channel.endsWith(canarySuffix)) {
      const round = s.round;
      const node = round?.waiting.get(channel);
      if (round === undefined || node === undefined || message !== round.token) return;
      round.returned.add(node);
      nodeBack(s, node);
      if (round.returned.size === round.waiting.size) endRound(s, round);
      return;
    }
    if (!channel.endsWith(':changes')) return;
    const colon = message.indexOf(':');
    const key = message.slice(colon + 1);
    if (colon < 0 || !key.startsWith(prefix)) return;
    const generation = Number(message.slice(0, colon));
    s.listener.hint(key.slice(prefix.length), Number.isSafeInteger(generation) ? generation : undefined);
  };

  return {
    version: 1,
    watch(name) {
      if (watched.has(name)) return;
      const key = prefix + name;
      const w: Watched = { key, slot: keySlot(key), channel: changesChannel(key), node: undefined };
      watched.set(name, w);
      if (current !== undefined) void watchChannel(current, name, w);
    },
    async subscribe(to) {
      const before = ended;
      const { connection, owned } = await source();
      if (before !== ended) {
        if (owned) end(connection as never);
        throw new Error('circuitry: unsubscribed while subscribing');
      }
      const dropped = (): void => to.dropped();
      const s: Subscription = {
        connection: shardConnection(connection, owned, (channel, message) => deliver(s, channel, message)),
        listener: to,
        channels: new Map(),
        trusted: new Set(),
        misses: new Map(),
        round: undefined,
        echoed: false,
        poller: setInterval(() => poll(s), pollInterval),
        dropped,
        nodeDropped: (...args) => {
          const node = nodeNamedIn(args);
          if (node !== undefined) nodeDropped(s, node);
        },
        raw: connection,
      };
      (s.poller as { unref?: () => void }).unref?.();
      current = s;
      // A cluster connection that drops as a whole loses every shard's messages; one node's, that node's.
      for (const event of DROP_EVENTS) connection.on?.(event, dropped as never);
      for (const event of NODE_DROP_EVENTS) connection.on?.(event, s.nodeDropped as never);
      for (const [name, w] of watched) void watchChannel(s, name, w);
      const canaries = [...byNode().values()].map((names) => ask(s, canaryChannelOf(names[0]!)));
      // A node that does not answer (its master lost) must not hold the others back: the canaries
      // tell which nodes are subscribed.
      await settledWithin(canaries, NODE_CANARY_TIMEOUT);
    },
    async canary(token) {
      const s = current;
      if (s === undefined) throw new Error('circuitry: not subscribed');
      if (s.round !== undefined) endRound(s, s.round);
      const groups = byNode();
      if (groups.size === 0) {
        s.echoed = true;
        return s.listener.canary(token);
      }
      // Channels not confirmed yet (a breaker just attached, a slot that moved, a node that came
      // back) are asked for, and given a moment: the round must end within the store's timeout.
      const asking: Promise<void>[] = [];
      for (const [node, names] of groups) {
        for (const name of names) {
          const w = watched.get(name)!;
          if (w.node !== undefined && w.node !== node && s.channels.get(w.channel) === 'ready') s.channels.delete(w.channel);
          w.node = node;
          if (s.channels.get(w.channel) !== 'ready') asking.push(watchChannel(s, name, w));
        }
        const channel = canaryChannelOf(names[0]!);
        if (s.channels.get(channel) !== 'ready') asking.push(ask(s, channel));
      }
      if (asking.length > 0) await settledWithin(asking, CHANNEL_WAIT);
      if (current !== s) return;
      const round: Round = { token, waiting: new Map(), returned: new Set(), timer: undefined };
      for (const [node, names] of groups) {
        const channel = canaryChannelOf(names[0]!);
        const ready = s.channels.get(channel) === 'ready' && names.every((name) => s.channels.get(watched.get(name)!.channel) === 'ready');
        // A node with a channel not confirmed is neither checked nor trusted: its breakers are polled.
        if (ready) round.waiting.set(channel, node);
        else if (s.trusted.delete(node)) hintAll(s, names);
      }
      // Nothing could be checked: the store hears nothing back, and makes the subscription anew.
      if (round.waiting.size === 0) return;
      s.round = round;
      round.timer = setTimeout(() => endRound(s, round), NODE_CANARY_TIMEOUT);
      for (const [channel, node] of round.waiting) {
        // One canary at most queued per node, however long its master hangs: one still on its way
        // is a canary not back, counted at the round's end, as is a publish refused.
        if (publishing.has(node)) continue;
        publishing.add(node);
        void send(['SPUBLISH', channel, token])
          .catch(() => {})
          .finally(() => publishing.delete(node));
      }
    },
    unsubscribe() {
      const s = current;
      current = undefined;
      ended += 1;
      if (s === undefined) return;
      clearInterval(s.poller);
      if (s.round?.timer !== undefined) clearTimeout(s.round.timer);
      s.round = undefined;
      for (const event of DROP_EVENTS) s.raw.off?.(event, s.dropped as never);
      for (const event of NODE_DROP_EVENTS) s.raw.off?.(event, s.nodeDropped as never);
      s.connection.close();
    },
  };
}

/** Resolves once every one of `promises` settled, or after `ms` milliseconds. */
async function settledWithin(promises: readonly Promise<unknown>[], ms: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([Promise.allSettled(promises), new Promise((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}
