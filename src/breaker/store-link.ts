import type { CircuitState } from '../machine/machine.js';
import type { WindowRule } from '../machine/trip-policy.js';
import type { AttachedBreaker } from './attached-breaker.js';

/**
 * A breaker made with a `store` option. The store is opaque to users: only `sharedStore` makes
 * one, and it registers how to attach a breaker here, so the core imports none of its code and a
 * breaker without a store pays nothing for it.
 */
export interface CircuitStore {
  /** Reads the shared state of every breaker attached, now; resolves when done and never rejects. */
  sync(): Promise<void>;
  /** Stops sharing: no more syncs, publishes or leases. Attached breakers go on alone, from their local state. */
  close(): void;
  /**
   * Whether the store is usable for this process. False while the store is away: from the
   * `storeDown` its breakers hear until their `storeUp` (a failed request, until one succeeds;
   * after a refused write, until a write lands), and for good after `close()`. It is not whether
   * the backend answered the last request: reads answered while writes are refused leave it false.
   */
  readonly connected: boolean;
}

/** What a store keeps per attached breaker; the breaker tells it about each change of state. */
export interface StoreLink {
  changed(from: CircuitState, to: CircuitState): void;
  /** A change made by hand (`open()`, `close()`, `reset()`): published whether or not the state changed. */
  forced(): void;
  /**
   * While the store asks the fleet for the trial lease: settles when the answer is in, or the
   * store's timeout passed. A call refused meanwhile waits for it once: it may be the trial.
   */
  leaseAnswer(): Promise<void> | undefined;
  /**
   * Before `configure` applies a policy whose window rule is `window`: throws when the store
   * cannot take it (a store judged by the fleet needs a window).
   */
  configuring?(window: WindowRule | undefined): void;
  /** After `configure` applied new settings: the store takes the new policy's outcomes at once. */
  configured?(): void;
}

type Attach = (breaker: AttachedBreaker) => StoreLink;
type Side = (core: never) => AttachedBreaker;

interface Links {
  readonly attachers: WeakMap<object, Attach>;
  /**
   * How a breaker's insides become an AttachedBreaker: given by whoever makes the store, so a
   * breaker that never uses a store does not carry that code.
   */
  readonly sides: WeakMap<object, Side>;
}

// `circuitry/store` is an entry point of its own: in a CommonJS build it carries its own copy of
// this module. The maps live on the global object so that every copy sees the same stores.
const SLOT = Symbol.for('circuitry.storeLinks');

function links(): Links {
  const global = globalThis as { [SLOT]?: Links };
  return (global[SLOT] ??= { attachers: new WeakMap(), sides: new WeakMap() });
}

/** Makes `store` attachable; called by the store's maker. */
export function registerStore(store: CircuitStore, attach: Attach): void {
  links().attachers.set(store, attach);
}

/** Says how breakers of `store` are seen by it; called by the breaker side. */
export function registerSide<Core>(store: CircuitStore, side: (core: Core) => AttachedBreaker): void {
  links().sides.set(store, side as Side);
}

/** Whether `value` is a store made by `sharedStore`. */
export function isStore(value: unknown): value is CircuitStore {
  return typeof value === 'object' && value !== null && links().attachers.has(value);
}

/** Attaches a breaker's core to `store`. */
export function attachStore<Core>(store: CircuitStore, core: Core): StoreLink {
  const { attachers, sides } = links();
  return attachers.get(store)!((sides.get(store) as (core: Core) => AttachedBreaker)(core));
}
