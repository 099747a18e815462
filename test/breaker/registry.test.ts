import { afterEach, describe, expect, it, vi } from 'vitest';
import { CircuitBreaker, CircuitRegistry, circuit, defaultRegistry, restoreBreaker } from 'circuitry';
import { toPrometheus } from 'circuitry/prometheus';
import { collected } from '../helpers/gc.js';
import { manualClock } from '../helpers/manual-clock.js';

/** Process warnings emitted while `body` runs (Node emits them on the next tick). */
async function warningsDuring(body: () => unknown): Promise<Error[]> {
  const seen: Error[] = [];
  const listener = (warning: Error) => seen.push(warning);
  process.on('warning', listener);
  try {
    await body();
    await new Promise((resolve) => setImmediate(resolve));
  } finally {
    process.off('warning', listener);
  }
  return seen;
}

const place = (file: string) => new RegExp(`\\(test/breaker/${file.replace(/\./g, '\\.')}:\\d+:\\d+\\)$`);

afterEach(() => {
  vi.resetModules();
});

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

  it('lets a module evaluated again take its name over, with no error and no warning', async () => {
    const warnings = await warningsDuring(async () => {
      const first = await import('./fixtures/named-breaker.js');
      vi.resetModules(); // as a test runner or a dev server's reload does
      const second = await import('./fixtures/named-breaker.js');
      const third = await import('./fixtures/named-breaker.js?v=2' as string);
      expect(second.api).not.toBe(first.api);
      expect(third.api).not.toBe(second.api);
      expect(defaultRegistry.get('reloaded-api')).toBe(third.api);
      expect(defaultRegistry.all().filter((b) => b.name === 'reloaded-api')).toEqual([third.api]);
    });
    expect(warnings).toEqual([]);
  });

  it('keeps two live breakers named alike in different places both listed, and warns with both places', async () => {
    const registry = new CircuitRegistry();
    let first!: CircuitBreaker;
    let second!: CircuitBreaker;
    const warnings = await warningsDuring(() => {
      first = new CircuitBreaker({ name: 'payments', registry });
      second = new CircuitBreaker({ name: 'payments', registry });
    });
    expect(registry.all()).toEqual([first, second]);
    expect(registry.get('payments')).toBe(second); // the newer takes the bare name
    const keys = registry.entries().map(([key]) => key);
    expect(keys).toHaveLength(2);
    for (const key of keys) expect(key).toMatch(place('registry.test.ts'));
    expect(new Set(keys).size).toBe(2);
    expect(registry.get(keys[0]!)).toBe(first);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.name).toBe('CircuitryWarning');
    expect(warnings[0]!.message).toContain('two live circuits are named "payments"');
    for (const key of keys) expect(warnings[0]!.message).toContain(key.slice('payments ('.length, -1));
    // Both stay monitored, each as its own series.
    const text = toPrometheus({ registry });
    for (const key of keys) expect(text).toContain(`circuitry_state{circuit="${key}",state="closed"} 1`);
    expect(registry.unregister(second)).toBe(true);
    expect(registry.unregister(second)).toBe(false);
    expect(registry.entries()).toEqual([['payments', first]]);
  });

  it('lists breakers named after their function or Class.method in the default registry', async () => {
    class Inventory {
      @circuit
      async count(): Promise<number> {
        return 3;
      }
    }
    const stock = circuit(async function fetchStock() {
      return 1;
    });
    const inventory = new Inventory();
    await inventory.count(); // under standard decorators the class is known, and the breaker made, at the first call
    expect(defaultRegistry.get('fetchStock')).toBe(stock.breaker);
    expect(defaultRegistry.get('Inventory.count')).toBeDefined();
    expect(toPrometheus()).toContain('circuitry_state{circuit="Inventory.count",state="closed"} 1');
    const optedOut = circuit(async function optedOutFn() {
      return 1;
    }, { registry: false });
    expect(defaultRegistry.get(optedOut.breaker.name)).toBeUndefined();
    const unnamed = new CircuitBreaker();
    expect(defaultRegistry.all()).not.toContain(unnamed); // nothing to tell it by
    expect(() => new CircuitBreaker({ registry: {} as never })).toThrow(new TypeError('registry must be a BreakerRegistry or false, got an object'));
  });

  it('lists both breakers whose derived names clash, under keys that do not depend on load order, quietly', async () => {
    const keysAfter = async (order: string[]) => {
      vi.resetModules();
      const modules: Record<string, { Client: new () => { get(): Promise<string> }; load: () => Promise<string> }> = {};
      for (const name of order) modules[name] = await import(`./fixtures/client-${name}.ts`);
      // Neither clash fails a call.
      for (const name of order) {
        await expect(new modules[name]!.Client().get()).resolves.toBe(name);
        await expect(modules[name]!.load()).resolves.toBe(name);
      }
      return defaultRegistry
        .entries()
        .map(([key]) => key)
        .filter((key) => key.startsWith('Client.get') || key.startsWith('load'))
        .sort();
    };
    let ab: string[] = [];
    let ba: string[] = [];
    const warnings = await warningsDuring(async () => {
      ab = await keysAfter(['a', 'b']);
      ba = await keysAfter(['b', 'a']);
    });
    expect(ab).toHaveLength(4);
    expect(ab.filter((k) => k.startsWith('Client.get')).map((k) => k.replace(/:\d+:\d+\)$/, ')'))).toEqual([
      'Client.get (test/breaker/fixtures/client-a.ts)',
      'Client.get (test/breaker/fixtures/client-b.ts)',
    ]);
    expect(ba).toEqual(ab); // the old copies were replaced by their reloads, and the keys kept
    expect(warnings).toEqual([]); // derived names clash by accident, not by mistake: no warning
    expect(toPrometheus()).toContain(`circuitry_state{circuit="${ab[0]}",state="closed"} 1`);
  });

  it('leaves instance-scoped breakers out of the registry: one series per instance would grow without bound', async () => {
    class Tenant {
      @circuit({ scope: 'instance' })
      async quota(): Promise<number> {
        return 1;
      }
    }
    const tenants = [new Tenant(), new Tenant()];
    for (const t of tenants) await t.quota();
    expect(defaultRegistry.all().filter((b) => b.name === 'Tenant.quota')).toEqual([]);
    expect(toPrometheus()).not.toContain('Tenant.quota');
  });

  it('restores a snapshot as often as asked, following the rule of creating', async () => {
    const snapshot = new CircuitBreaker().toJSON();
    const restored: CircuitBreaker[] = [];
    const warnings = await warningsDuring(() => {
      for (let i = 0; i < 2; i++) restored.push(restoreBreaker(snapshot)); // save and restore around every call
    });
    expect(warnings).toEqual([]);
    expect(defaultRegistry.get('anonymous')).toBe(restored[1]);
    expect(defaultRegistry.all()).not.toContain(restored[0]);
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
