import { describe, expect, it } from 'vitest';
import { CircuitBreaker, CircuitOpenError, breakerOf, circuit, circuitSync, defaultRegistry } from 'circuitry';
import { manualClock } from '../helpers/manual-clock.js';

class Unavailable extends Error {}
const clock = manualClock();

class UsersClient {
  healthy = true;
  constructor(readonly prefix = 'user') {}

  @circuit({ failureThreshold: 2, clock })
  async get(id: string): Promise<string> {
    if (!this.healthy) throw new Unavailable('down');
    return `${this.prefix}:${id}`;
  }

  @circuit
  async list(): Promise<string[]> {
    return [this.prefix];
  }

  @circuit()
  async count(): Promise<number> {
    return 1;
  }

  @circuitSync()
  parse(raw: string): string {
    if (raw === '') throw new SyntaxError('empty');
    return raw.trim();
  }

  @circuit({ scope: 'instance', failureThreshold: 1, clock, fallback: () => 'from fallback' })
  async own(fail: boolean): Promise<string> {
    if (fail) throw new Unavailable('down');
    return this.prefix;
  }

  @circuit({ failureThreshold: 1 })
  static async ping(): Promise<string> {
    return 'pong';
  }
}

class AdminClient extends UsersClient {}

describe('standard decorators', () => {
  it('guards with one breaker per class by default, named Class.method', async () => {
    const a = new UsersClient('a');
    const b = new UsersClient('b');
    await expect(a.get('1')).resolves.toBe('a:1');
    expect(breakerOf(a, 'get')).toBe(breakerOf(b, 'get'));
    expect(breakerOf(a, 'get').name).toBe('UsersClient.get');
    a.healthy = false;
    await a.get('1').catch(() => undefined);
    await a.get('1').catch(() => undefined);
    await expect(b.get('1')).rejects.toBeInstanceOf(CircuitOpenError);
    breakerOf(b, 'get').close();
  });

  it('supports the bare form and the empty call', async () => {
    const client = new UsersClient('z');
    await expect(client.list()).resolves.toEqual(['z']);
    await expect(client.count()).resolves.toBe(1);
    expect(breakerOf(client, 'list').name).toBe('UsersClient.list');
    expect(breakerOf(client, 'list')).not.toBe(breakerOf(client, 'count'));
  });

  it('names the declaring class for subclass instances, and guards static methods', async () => {
    const admin = new AdminClient('admin');
    await expect(admin.list()).resolves.toEqual(['admin']);
    expect(breakerOf(admin, 'list').name).toBe('UsersClient.list');
    await expect(UsersClient.ping()).resolves.toBe('pong');
    expect(breakerOf(UsersClient, 'ping').name).toBe('UsersClient.ping');
  });

  it('keeps the method name and length', () => {
    expect(UsersClient.prototype.get.name).toBe('get');
    expect(UsersClient.prototype.get.length).toBe(1);
    expect(UsersClient.prototype.parse.name).toBe('parse');
  });

  it('keeps synchronous methods synchronous', () => {
    const client = new UsersClient();
    expect(client.parse('  x ')).toBe('x');
    expect(() => client.parse('')).toThrow(SyntaxError);
    expect(breakerOf(client, 'parse').consecutiveFailures).toBe(1);
  });

  it('gives each instance its own breaker with scope: instance', async () => {
    const a = new UsersClient('a');
    const b = new UsersClient('b');
    await expect(a.own(true)).resolves.toBe('from fallback');
    expect(breakerOf(a, 'own').state).toBe('open');
    expect(breakerOf(b, 'own').state).toBe('closed');
    await expect(b.own(false)).resolves.toBe('b');
    expect(breakerOf(a, 'own')).not.toBe(breakerOf(b, 'own'));
  });

  it('rejects, never throws, when an instance-scoped async method has no instance', async () => {
    const detached = new UsersClient().own;
    await expect(detached.call(undefined, false)).rejects.toThrow('own has an instance-scoped circuit and was called without an instance');
  });

  it('uses a shared breaker given to the decorator', async () => {
    const shared = new CircuitBreaker({ name: 'partner' });
    class Partner {
      @circuit(shared) async a(): Promise<string> {
        return 'a';
      }
      @circuit({ breaker: shared, fallback: () => 'cold' }) async b(): Promise<string> {
        return 'b';
      }
    }
    const partner = new Partner();
    expect(breakerOf(partner, 'a')).toBe(shared);
    shared.open();
    await expect(partner.a()).rejects.toBeInstanceOf(CircuitOpenError);
    await expect(partner.b()).resolves.toBe('cold');
  });

  it('refuses fields, getters and classes with a TypeError naming them', () => {
    const decorate = circuit() as unknown as (value: unknown, context: unknown) => unknown;
    const context = (kind: string, name: string) => ({ kind, name, addInitializer: () => undefined });
    expect(() => decorate(undefined, context('field', 'url'))).toThrow(new TypeError('@circuit can only decorate methods, not the field "url"'));
    expect(() => decorate(() => 1, context('getter', 'state'))).toThrow('not the getter "state"');
    expect(() => decorate(class {}, context('class', 'Client'))).toThrow('not the class "Client"');
    expect(() => (circuit() as unknown as (x: unknown) => unknown)(42)).toThrow('@circuit(...) must decorate a method, got 42');
  });

  it('breakerOf refuses what circuit did not guard', () => {
    expect(() => breakerOf(() => 1)).toThrow(new TypeError('breakerOf: this function is not guarded by circuit or circuitSync'));
    expect(() => breakerOf({ m() {} }, 'm')).toThrow('breakerOf: method m is not guarded by circuit or circuitSync');
  });
});

describe('standard decorators: monitoring before the first call', () => {
  const listed = (name: string) => defaultRegistry.all().filter((b) => b.name === name);

  it('lists a bare @circuit method once the first instance exists, before any call, under Class.method', async () => {
    class InventoryLookupClient {
      @circuit async stock(sku: string): Promise<number> {
        return sku.length;
      }
    }
    expect(listed('InventoryLookupClient.stock')).toHaveLength(0);
    const client = new InventoryLookupClient();
    expect(listed('InventoryLookupClient.stock')).toHaveLength(1);
    new InventoryLookupClient();
    expect(await client.stock('abc')).toBe(3);
    // One breaker for the class, made once: the second instance and the call added none.
    expect(listed('InventoryLookupClient.stock')).toHaveLength(1);
    expect(breakerOf(client, 'stock')).toBe(listed('InventoryLookupClient.stock')[0]);
  });

  it('lists a bare @circuit static method when its class is defined', () => {
    class PricingLookupClient {
      @circuit static async price(sku: string): Promise<number> {
        return sku.length;
      }
    }
    expect(listed('PricingLookupClient.price')).toHaveLength(1);
    expect(breakerOf(PricingLookupClient, 'price')).toBe(listed('PricingLookupClient.price')[0]);
  });
});

describe('scope: instance and garbage collection', () => {
  it('does not keep a dropped instance, or its breaker, alive', async () => {
    const { collected } = await import('../helpers/gc.js');
    class Client {
      @circuit({ scope: 'instance' }) async get(): Promise<number> {
        return 1;
      }
    }
    const kept = new Client();
    let dropped: Client | undefined = new Client();
    await dropped.get();
    await kept.get();
    const instance = new WeakRef(dropped);
    const breaker = new WeakRef(breakerOf(dropped, 'get'));
    dropped = undefined;
    expect(await collected(instance)).toBe(true);
    expect(await collected(breaker)).toBe(true);
    expect(breakerOf(kept, 'get').state).toBe('closed');
  });
});

describe('decorator options', () => {
  it('makes a named breaker when the class is defined, so a clash is told there and not at a call', async () => {
    const { CircuitRegistry } = await import('circuitry');
    const registry = new CircuitRegistry();
    class First {
      @circuit({ name: 'clash', registry }) async a(): Promise<number> {
        return 1;
      }
    }
    expect(registry.get('clash')).toBeDefined();
    const warnings: Error[] = [];
    const listener = (warning: Error) => warnings.push(warning);
    process.on('warning', listener);
    class Second {
      @circuit({ name: 'clash', registry }) async b(): Promise<number> {
        return 2;
      }
    }
    await new Promise((resolve) => setImmediate(resolve));
    process.off('warning', listener);
    expect(warnings.map((w) => w.message)).toEqual([expect.stringContaining('two live circuits are named "clash"')]);
    expect(registry.all()).toHaveLength(2);
    await expect(new First().a()).resolves.toBe(1);
    await expect(new Second().b()).resolves.toBe(2);
  });

  it('refuses a timeout on circuitSync, which cannot cut a synchronous call short', () => {
    expect(() => circuitSync(() => 1, { timeout: 10 } as never)).toThrow(
      new TypeError('timeout cannot be used with circuitSync: a synchronous call cannot be cut short'),
    );
    expect(() => circuitSync({ timeout: 10 } as never)).toThrow(TypeError);
  });

  it('reads an option set to undefined as an option left out, in every form', async () => {
    const { CircuitBreaker, retry } = await import('circuitry');
    const breaker = new CircuitBreaker({ registry: false });
    const absent = { name: undefined, failureThreshold: undefined, timeout: undefined, fallback: undefined, scope: undefined };
    expect(circuit(async () => 1, { breaker, name: undefined, timeout: undefined, fallback: undefined }).breaker).toBe(breaker);
    expect(circuit(async () => 1, { breaker, scope: undefined } as never).breaker).toBe(breaker);
    expect(circuitSync(() => 1, { breaker, timeout: undefined }).breaker).toBe(breaker);
    class Client {
      @circuit({ ...absent, breaker }) async get(): Promise<number> {
        return 1;
      }
      @circuitSync({ ...absent }) now(): number {
        return 2;
      }
    }
    await expect(new Client().get()).resolves.toBe(1);
    expect(new Client().now()).toBe(2);
    expect(breakerOf(new Client(), 'get')).toBe(breaker);
    await expect(retry(async () => 3, { attempts: undefined, wait: undefined, signal: undefined, onRetry: undefined })()).resolves.toBe(3);
  });
});
