import { invalid } from '../check/check.js';
import type { CircuitBreaker } from './breaker.js';
import type { CircuitEvent } from './events.js';
import { EVENTS } from './events.js';
import type { RegistryEvents } from './registry-events.js';
import { watchRegistrations } from './registry-events.js';
import type { Registrations } from './registrations.js';
import { add, createRegistrations, defaultRegistrations, listed, live, lookup, remove } from './registrations.js';

// The registrations the next `CircuitRegistry` adopts instead of new ones: how defaultRegistry
// is made over the process-wide slot. A module variable rather than a static block, which
// bundlers must keep, so that an app that never imports the registry does not carry it.
let registrationsToAdopt: Registrations | undefined;

/**
 * The breakers of a process by name, as Python's `CircuitBreakerMonitor` keeps them, for health
 * checks and metrics. Breakers are held weakly: registering never keeps one alive, and a
 * collected breaker leaves on its own.
 *
 * A breaker given a `name`, and one made by `circuit` or `@circuit` (named after its function or
 * `Class.method`), registers itself in {@link defaultRegistry}, unless its `registry` option
 * names another registry or is `false`. Instance-scoped decorator breakers do not.
 *
 * Names may be shared. A breaker made at the same place as a live one of its name (the same
 * module evaluated again, by a dev server's reload or `vi.resetModules()`) replaces it. One made
 * elsewhere is listed beside it, each under its name and place (see {@link CircuitRegistry.entries}),
 * and unless circuitry derived both names, a `CircuitryWarning` says where each was made.
 */
export class CircuitRegistry {
  #r: Registrations = registrationsToAdopt ?? createRegistrations();

  /**
   * Adds `breaker` under its name, following the rule above for a name already taken: it never
   * throws for a name.
   */
  register(breaker: CircuitBreaker): void {
    add(this.#r, breaker);
  }

  /** Removes `breaker`; true if it was registered here. */
  unregister(breaker: CircuitBreaker): boolean {
    return remove(this.#r, breaker);
  }

  /**
   * The live breaker registered under `name` (the newest, when several share it) or listed
   * under the key `name` by {@link CircuitRegistry.entries}, if any.
   */
  get(name: string): CircuitBreaker | undefined {
    return lookup(this.#r, name) as CircuitBreaker | undefined;
  }

  /** Every live breaker, in the order their names first registered. */
  all(): CircuitBreaker[] {
    return live(this.#r) as CircuitBreaker[];
  }

  /**
   * Every live breaker with the key it is listed under, unique in this registry: its name, or,
   * while live breakers share a name, the name followed by where each was made,
   * `Client.get (src/billing/client.ts:12:3)` (a path relative to the working directory). A key
   * depends on which breakers are live and where they were made, never on which came first, so
   * metric series keep their labels across restarts; `circuitry/prometheus` uses it as the
   * `circuit` label.
   */
  entries(): [key: string, breaker: CircuitBreaker][] {
    return listed(this.#r) as [string, CircuitBreaker][];
  }

  /** Breakers refusing calls: `'open'`, or `'isolated'` by hand. */
  open(): CircuitBreaker[] {
    return this.all().filter((b) => b.state === 'open' || b.state === 'isolated');
  }

  /** Breakers that are `'half-open'`: trial calls decide. */
  halfOpen(): CircuitBreaker[] {
    return this.all().filter((b) => b.state === 'half-open');
  }

  /** Breakers that are `'closed'`. */
  closed(): CircuitBreaker[] {
    return this.all().filter((b) => b.state === 'closed');
  }

  /** True when every breaker lets calls through as usual: `'closed'`, or `'disabled'` by hand. */
  allClosed(): boolean {
    return this.all().every((b) => b.state === 'closed' || b.state === 'disabled');
  }

  /**
   * Calls `listener` on every `event` of every breaker in this registry, those registered now
   * and those registered later, until the returned function is called. The payload is the
   * breaker's own (see `breaker.on`) with its `name`, its `key` in {@link CircuitRegistry.entries}
   * and the `breaker`. A breaker that leaves the registry (unregistered, replaced, collected)
   * is no longer heard; listening never keeps a breaker alive. Listening to `success`, `failure`
   * or `ignored` turns on call-duration measuring in every breaker, as `breaker.on` does.
   *
   * @example
   * ```ts
   * defaultRegistry.on('stateChange', ({ key, from, to }) => log.warn(`circuit ${key}: ${from} -> ${to}`));
   * ```
   * @returns a function that removes the listener from every breaker; calling it again does nothing.
   */
  on<E extends CircuitEvent>(event: E, listener: (payload: RegistryEvents[E]) => void): () => void {
    if (!EVENTS.includes(event)) invalid(TypeError, 'event', `one of ${EVENTS.join(', ')}`, event);
    if (typeof listener !== 'function') invalid(TypeError, 'listener', 'a function', listener);
    return watchRegistrations(this.#r, event, listener);
  }
}

function overDefault(): CircuitRegistry {
  registrationsToAdopt = defaultRegistrations();
  try {
    return new CircuitRegistry();
  } finally {
    registrationsToAdopt = undefined;
  }
}

/**
 * Where breakers register themselves unless told otherwise: those given a `name`, and those
 * `circuit` and `@circuit` make. One per process, even when circuitry is loaded twice (from
 * `import` and from `require`).
 */
// One pure call with no arguments: a bundler drops it whole when nothing reads defaultRegistry.
export const defaultRegistry: CircuitRegistry = /* @__PURE__ */ overDefault();
