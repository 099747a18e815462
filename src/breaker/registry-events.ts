import type { CircuitBreaker } from './breaker.js';
import type { CircuitEvent, CircuitEvents } from './events.js';
import type { Membership, Named, Registrations } from './registrations.js';
import { listed } from './registrations.js';

/**
 * What a listener of `registry.on(event, listener)` receives: the breaker's own payload, with
 * which breaker sent it.
 */
export type RegistryEvents = {
  [E in CircuitEvent]: CircuitEvents[E] & {
    /** The breaker's name. */
    readonly name: string;
    /** The key the registry lists it under (`entries()`): its name, unless live breakers share it. */
    readonly key: string;
    /** The breaker itself, for reading its `stats()`; keeping it keeps it alive. */
    readonly breaker: CircuitBreaker;
  };
};

interface Watcher {
  readonly event: CircuitEvent;
  readonly listener: (payload: never) => void;
}

/**
 * The joining and leaving of breakers, heard by wrapping the registrations' `cleanup`: a breaker
 * registers there when it joins and unregisters when it leaves (by hand, or replaced by a newer
 * breaker made at its place). Wrapping it only once someone listens keeps the registry's events
 * out of the core's bundle, which never carries this file.
 */
interface Hub extends Membership {
  readonly watchers: Set<Watcher>;
  // Keyed by the breaker, weakly: what a breaker's listeners hold (its insides, and through them
  // itself) must not keep it alive from here.
  readonly offs: WeakMap<object, Map<Watcher, () => void>>;
}

// Registered, so that two copies of circuitry (ESM and CommonJS) sharing the default
// registrations find one hub rather than wrap it twice.
const HUB = Symbol.for('circuitry.registryEvents.v1');

function hubOf(r: Registrations): Hub {
  const current = r.cleanup as Membership & { [HUB]?: Hub };
  if (current[HUB] !== undefined) return current[HUB];
  const inner = current;
  const hub: Hub & { [HUB]?: Hub } = {
    watchers: new Set(),
    offs: new WeakMap(),
    register(target, held, token) {
      inner.register(target, held, token);
      for (const watcher of hub.watchers) attach(r, hub, target as Named, watcher);
    },
    unregister(token) {
      const breaker = (token as { ref?: WeakRef<object> }).ref?.deref();
      if (breaker !== undefined) detachAll(hub, breaker);
      return inner.unregister(token);
    },
  };
  hub[HUB] = hub;
  r.cleanup = hub;
  return hub;
}

function attach(r: Registrations, hub: Hub, entry: Named, watcher: Watcher): void {
  const breaker = entry as CircuitBreaker;
  const listener = watcher.listener as (payload: unknown) => void;
  const off = breaker.on(watcher.event, (payload) => listener({ ...payload, name: breaker.name, key: keyOf(r, breaker), breaker }));
  let mine = hub.offs.get(breaker);
  if (mine === undefined) hub.offs.set(breaker, (mine = new Map()));
  mine.set(watcher, off);
}

function detachAll(hub: Hub, breaker: object): void {
  const mine = hub.offs.get(breaker);
  if (mine === undefined) return;
  hub.offs.delete(breaker);
  for (const off of mine.values()) off();
}

// A key is the name unless live breakers share it; only then is the whole list read.
function keyOf(r: Registrations, breaker: CircuitBreaker): string {
  const list = r.byName.get(breaker.name);
  if (list === undefined || list.length < 2) return breaker.name;
  return listed(r).find(([, entry]) => entry === breaker)?.[0] ?? breaker.name;
}

/**
 * Calls `listener` on `event` of every breaker of `r`, present and future, until the returned
 * function is called. A breaker that leaves stops being heard.
 */
export function watchRegistrations<E extends CircuitEvent>(r: Registrations, event: E, listener: (payload: RegistryEvents[E]) => void): () => void {
  const hub = hubOf(r);
  const watcher: Watcher = { event, listener };
  hub.watchers.add(watcher);
  for (const [, entry] of listed(r)) attach(r, hub, entry, watcher);
  let watching = true;
  return () => {
    if (!watching) return;
    watching = false;
    hub.watchers.delete(watcher);
    for (const [, entry] of listed(r)) {
      const mine = hub.offs.get(entry);
      mine?.get(watcher)?.();
      mine?.delete(watcher);
    }
  };
}
