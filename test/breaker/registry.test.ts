import { describe, expect, it } from 'vitest';
import { CircuitBreaker, CircuitRegistry, circuit, defaultRegistry } from 'circuitry';
import { collected } from '../helpers/gc.js';
import { manualClock } from '../helpers/manual-clock.js';

describe('CircuitRegistry', () => {
  it('lists breakers by state, half-open ones included', () => {
    const clock = manualClock();
    const registry = new CircuitRegistry();
    const make = (name: string) => new CircuitBreaker({ name, registry, clock, recoveryTimeout: 100 });
    const [a, b, c, d] = [make('a'), make('b'), make('c'), make('d')];
    expect(registry.allClosed()).toBe(true);
    b.open();
    c.open();
    clock.advance(100);
    b.open(); // b opened again: still open; c is half-open by now
    d.disable();
    expect(registry.all().map((x) => x.name)).toEqual(['a', 'b', 'c', 'd']);
    expect(registry.open()).toEqual([b]);
    expect(registry.halfOpen()).toEqual([c]);
    expect(registry.closed()).toEqual([a]);
    expect(registry.allClosed()).toBe(false);
    c.close();
    b.isolate();
    expect(registry.open()).toEqual([b]);
    b.reset();
    expect(registry.allClosed()).toBe(true); // closed, and d disabled on purpose
    expect(registry.get('c')).toBe(c);
    expect(registry.get('nope')).toBeUndefined();
  });

  it('refuses a second live breaker with the same name', () => {
    const registry = new CircuitRegistry();
    const first = new CircuitBreaker({ name: 'payments', registry });
    expect(() => new CircuitBreaker({ name: 'payments', registry })).toThrow(
      new TypeError('a circuit named "payments" is already registered: give this one another name, pass registry: false, or unregister the other first'),
    );
    expect(registry.get('payments')).toBe(first);
    expect(registry.unregister(first)).toBe(true);
    expect(registry.unregister(first)).toBe(false);
    const second = new CircuitBreaker({ name: 'payments', registry });
    expect(registry.get('payments')).toBe(second);
  });

  it('registers named breakers in the default registry, and only those', () => {
    const named = circuit(async () => 1, { name: 'registry-test-named' });
    const unnamed = circuit(async function unnamedFn() {
      return 1;
    });
    const optedOut = new CircuitBreaker({ name: 'registry-test-opted-out', registry: false });
    expect(defaultRegistry.get('registry-test-named')).toBe(named.breaker);
    expect(defaultRegistry.get(unnamed.breaker.name)).toBeUndefined();
    expect(defaultRegistry.get(optedOut.name)).toBeUndefined();
    expect(() => new CircuitBreaker({ registry: {} as never })).toThrow(new TypeError('registry must be a CircuitRegistry or false, got an object'));
  });

  it('never keeps a breaker alive, and frees its name once it is collected', async () => {
    const registry = new CircuitRegistry();
    let breaker: CircuitBreaker | undefined = new CircuitBreaker({ name: 'short-lived', registry });
    const ref = new WeakRef(breaker);
    breaker = undefined;
    expect(await collected(ref)).toBe(true);
    expect(registry.get('short-lived')).toBeUndefined();
    expect(registry.all()).toEqual([]);
    expect(() => new CircuitBreaker({ name: 'short-lived', registry })).not.toThrow();
  });
});
