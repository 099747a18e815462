/**
 * Redis pub/sub as a store's push capability: the record script publishes `generation:key` on
 * the store's channel with every accepted open or close, and this subscribes to it on a
 * connection of its own (pub/sub takes a connection over). The connection is the user's
 * `subscriber`, or a duplicate of their client made here (and ended here). Each store also
 * subscribes to a canary channel of its own, on which it publishes itself to prove the
 * subscription still delivers.
 */
import type { PushListener, SharedStatePush } from 'circuitry/store';
import type { SendCommand } from './redis-client.js';

type Listener = (message: string, channel: string) => void;

/** What ioredis and node-redis emit when a connection drops or starts over. */
export const DROP_EVENTS = ['close', 'end', 'reconnecting'];

/** A client that can subscribe: ioredis (`subscribe` plus `message` events), or node-redis and Bun (`subscribe(channels, listener)`). */
interface Subscribable {
  call?: unknown;
  subscribe(...args: unknown[]): Promise<unknown>;
  unsubscribe(...args: unknown[]): Promise<unknown>;
  on?(event: string, handler: (...args: never[]) => void): unknown;
  off?(event: string, handler: (...args: never[]) => void): unknown;
  duplicate?(overrides?: object): unknown;
  connect?(): Promise<unknown>;
  quit?(): unknown;
  destroy?(): unknown;
  disconnect?(): unknown;
  close?(): unknown;
  isOpen?: boolean;
}

const canSubscribe = (c: unknown): c is Subscribable =>
  typeof (c as Subscribable | null)?.subscribe === 'function' && typeof (c as Subscribable | null)?.unsubscribe === 'function';

/** A value as an option error names it. */
export const shown = (value: unknown): string =>
  typeof value === 'string' ? `"${value}" (a string)` : typeof value === 'object' && value !== null ? 'an object that cannot subscribe' : String(value);

/** Whether push can run over `client` (duplicated) or `subscriber` (given). */
export function subscriberSource(client: unknown, subscriber: unknown): (() => Promise<{ connection: Subscribable; owned: boolean }>) | undefined {
  if (subscriber === false) return undefined;
  if (subscriber !== undefined) {
    // Anything else would leave push off without a word, and the store polling for ever.
    if (!canSubscribe(subscriber)) throw new TypeError(`subscriber must be false or a Redis client that can subscribe, got ${shown(subscriber)}`);
    return async () => ({ connection: subscriber, owned: false });
  }
  const c = client as Subscribable | null;
  if (typeof c?.duplicate !== 'function') return undefined;
  return async () => {
    // node-redis reconnects and resubscribes by itself, and cannot be destroyed while it does: its
    // duplicate is made not to, and the store makes a new one when it drops.
    const nodeRedis = typeof c.call !== 'function' && typeof (c as { sendCommand?: unknown }).sendCommand === 'function';
    const socket = (c as { options?: { socket?: object } }).options?.socket;
    // Bun's `duplicate()` resolves with the new client; the others return it.
    const made = (await (nodeRedis ? c.duplicate!({ socket: { ...socket, reconnectStrategy: false } }) : c.duplicate!())) as Subscribable;
    // Without a listener, an error event on the duplicate would crash the process; the canary
    // notices what the error means.
    made.on?.('error', () => {});
    // node-redis makes its duplicates unconnected; ioredis and Bun connect by themselves.
    if (typeof made.call !== 'function' && typeof made.connect === 'function' && made.isOpen === false) await made.connect();
    if (!canSubscribe(made)) throw new Error('circuitry: the duplicated Redis client cannot subscribe');
    return { connection: made, owned: true };
  };
}

/**
 * Ends a connection this module made, for good: node-redis's `destroy()` (its `disconnect()`
 * throws while reconnecting, and the client would resubscribe by itself), ioredis's
 * `disconnect()`, Bun's `close()`.
 */
export function end(connection: Pick<Subscribable, 'destroy' | 'disconnect' | 'close' | 'quit'>): void {
  for (const method of ['destroy', 'disconnect', 'close', 'quit'] as const) {
    const fn = connection[method];
    if (typeof fn !== 'function') continue;
    try {
      void Promise.resolve(fn.call(connection)).catch(() => {});
      return;
    } catch {
      // Not in a state to end this way: the next way is tried.
    }
  }
}

export function redisPush(
  send: SendCommand,
  source: () => Promise<{ connection: Subscribable; owned: boolean }>,
  prefix: string,
  channel: string,
): SharedStatePush {
  const canaryChannel = `${channel}:canary:${Math.random().toString(36).slice(2)}${Date.now().toString(36)}`;
  const channels = [channel, canaryChannel];
  let current: { connection: Subscribable; owned: boolean; listener: Listener; ioredis: boolean; dropped: () => void } | undefined;
  /** Counts unsubscriptions, so that a connection made while one came is ended, not kept. */
  let ended = 0;

  const deliver = (to: PushListener) => (message: string, from: string) => {
    const text = String(message);
    if (String(from) === canaryChannel) return to.canary(text);
    if (String(from) !== channel) return;
    const colon = text.indexOf(':');
    const key = text.slice(colon + 1);
    if (colon < 0 || !key.startsWith(prefix)) return;
    const generation = Number(text.slice(0, colon));
    to.hint(key.slice(prefix.length), Number.isSafeInteger(generation) ? generation : undefined);
  };

  return {
    version: 1,
    async subscribe(to) {
      const before = ended;
      const { connection, owned } = await source();
      if (before !== ended) {
        if (owned) end(connection);
        throw new Error('circuitry: unsubscribed while subscribing');
      }
      const ioredis = typeof connection.call === 'function';
      const delivered = deliver(to);
      // ioredis's message event gives the channel first; node-redis and Bun give the message first.
      const listener: Listener = ioredis ? (channel, message) => delivered(message, channel) : delivered;
      current = { connection, owned, listener, ioredis, dropped: () => to.dropped() };
      // A client that reconnects and resubscribes by itself (ioredis, node-redis) loses what was
      // published meanwhile: said at once, so the store reads what it missed.
      for (const name of DROP_EVENTS) connection.on?.(name, current.dropped as never);
      if (ioredis) {
        connection.on?.('message', listener as never);
        await connection.subscribe(...channels);
      } else {
        await connection.subscribe(channels, listener);
      }
    },
    async canary(token) {
      await send(['PUBLISH', canaryChannel, token]);
    },
    unsubscribe() {
      const was = current;
      current = undefined;
      ended += 1;
      if (was === undefined) return;
      for (const name of DROP_EVENTS) was.connection.off?.(name, was.dropped as never);
      if (was.owned) return end(was.connection);
      if (was.ioredis) {
        was.connection.off?.('message', was.listener as never);
        void was.connection.unsubscribe(...channels).catch(() => {});
      } else {
        void was.connection.unsubscribe(channels, was.listener).catch(() => {});
      }
    },
  };
}
