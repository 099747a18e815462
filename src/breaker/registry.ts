import type { CircuitBreaker } from './breaker.js';
import type { Registrations } from './registrations.js';
import { add, createRegistrations, defaultRegistrations, live, lookup, remove } from './registrations.js';

let over: (registrations: Registrations) => CircuitRegistry;

/**
 * The breakers of a process by name, as Python's `CircuitBreakerMonitor` keeps them, for health
 * checks and metrics. Breakers are held weakly: registering never keeps one alive, and a
 * collected breaker leaves on its own. Two live breakers may not share a name.
 *
 * A breaker given a `name` registers itself in {@link defaultRegistry}, unless its `registry`
 * option names another registry or is `false`.
 */
export class CircuitRegistry {
  #r: Registrations = createRegistrations();

  /**
   * Adds `breaker` under its name.
   *
   * @throws TypeError when another live breaker has that name already.
   */
  register(breaker: CircuitBreaker): void {
    add(this.#r, breaker);
  }

  /** Removes `breaker`; true if it was registered here. */
  unregister(breaker: CircuitBreaker): boolean {
    return remove(this.#r, breaker);
  }

  /** The live breaker registered under `name`, if any. */
  get(name: string): CircuitBreaker | undefined {
    return lookup(this.#r, name) as CircuitBreaker | undefined;
  }

  /** Every live breaker, in the order they registered. */
  all(): CircuitBreaker[] {
    return live(this.#r) as CircuitBreaker[];
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

  static {
    over = (registrations) => {
      const registry = new CircuitRegistry();
      registry.#r = registrations;
      return registry;
    };
  }
}

/**
 * Where breakers given a `name` register themselves unless told otherwise. One per process, even
 * when circuitry is loaded twice (from `import` and from `require`).
 */
export const defaultRegistry: CircuitRegistry = /* @__PURE__ */ over(defaultRegistrations());
