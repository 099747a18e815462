import type { CircuitBreaker } from '../breaker.js';

/**
 * The breakers of a process by name, as Python's `CircuitBreakerMonitor` keeps them, for health
 * checks and metrics. Breakers are held weakly: registering never keeps one alive, and a
 * collected breaker leaves on its own. Two live breakers may not share a name.
 *
 * A breaker given a `name` registers itself in {@link defaultRegistry}, unless its `registry`
 * option names another registry or is `false`.
 */
export class CircuitRegistry {
  readonly #byName = new Map<string, WeakRef<CircuitBreaker>>();
  readonly #cleanup = new FinalizationRegistry<{ name: string; ref: WeakRef<CircuitBreaker> }>(({ name, ref }) => {
    if (this.#byName.get(name) === ref) this.#byName.delete(name);
  });

  /**
   * Adds `breaker` under its name.
   *
   * @throws TypeError when another live breaker has that name already.
   */
  register(breaker: CircuitBreaker): void {
    const current = this.get(breaker.name);
    if (current === breaker) return;
    if (current !== undefined) {
      throw new TypeError(
        `a circuit named "${breaker.name}" is already registered: give this one another name, pass registry: false, or unregister the other first`,
      );
    }
    const ref = new WeakRef(breaker);
    this.#byName.set(breaker.name, ref);
    this.#cleanup.register(breaker, { name: breaker.name, ref }, ref);
  }

  /** Removes `breaker`; true if it was registered here. */
  unregister(breaker: CircuitBreaker): boolean {
    const ref = this.#byName.get(breaker.name);
    if (ref === undefined || ref.deref() !== breaker) return false;
    this.#byName.delete(breaker.name);
    this.#cleanup.unregister(ref);
    return true;
  }

  /** The live breaker registered under `name`, if any. */
  get(name: string): CircuitBreaker | undefined {
    return this.#byName.get(name)?.deref();
  }

  /** Every live breaker, in the order they registered. */
  all(): CircuitBreaker[] {
    const live: CircuitBreaker[] = [];
    for (const ref of this.#byName.values()) {
      const breaker = ref.deref();
      if (breaker !== undefined) live.push(breaker);
    }
    return live;
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
}

/** Where breakers given a `name` register themselves unless told otherwise. */
export const defaultRegistry = new CircuitRegistry();
