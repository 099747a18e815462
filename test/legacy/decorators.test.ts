// Compiled with experimentalDecorators (see tsconfig.json beside this file), as NestJS apps are.
import 'reflect-metadata';
import { describe, expect, it } from 'vitest';
import { CircuitOpenError, breakerOf, circuit, circuitSync } from 'circuitry';

/** What NestJS's SetMetadata does: metadata stored on the method function itself. */
const SetMetadata =
  (key: string, value: unknown): MethodDecorator =>
  (_target, _key, descriptor) => {
    Reflect.defineMetadata(key, value, descriptor.value as object);
    return descriptor;
  };

/** A decorator that stores metadata on the prototype and key, as class-validator or routing libraries do. */
const Route =
  (path: string): MethodDecorator =>
  (target, key) => {
    Reflect.defineMetadata('route', path, target, key);
  };

class Unavailable extends Error {}

class OrdersClient {
  down = false;

  @circuit({ failureThreshold: 1 })
  async get(id: string): Promise<string> {
    if (this.down) throw new Unavailable('down');
    return `order:${id}`;
  }

  @circuit
  async list(): Promise<string[]> {
    return [];
  }

  @circuitSync()
  total(a: number, b: number): number {
    return a + b;
  }

  // Our decorator applied first (it is written last), then SetMetadata on the wrapper.
  @SetMetadata('roles', ['admin'])
  @Route('/orders')
  @circuit()
  async above(): Promise<string> {
    return 'above';
  }

  // SetMetadata applied first, to the original; our wrapper must carry it over.
  @circuit()
  @SetMetadata('roles', ['user'])
  @Route('/orders/below')
  async below(): Promise<string> {
    return 'below';
  }

  @circuit({ scope: 'instance', failureThreshold: 1 })
  async mine(): Promise<string> {
    throw new Unavailable('down');
  }

  @circuit({ failureThreshold: 1 })
  static async health(): Promise<string> {
    return 'ok';
  }
}

describe('experimentalDecorators', () => {
  it('guards async methods with one breaker per class, named Class.method', async () => {
    const a = new OrdersClient();
    const b = new OrdersClient();
    await expect(a.get('1')).resolves.toBe('order:1');
    expect(breakerOf(a, 'get').name).toBe('OrdersClient.get');
    a.down = true;
    await expect(a.get('1')).rejects.toBeInstanceOf(Unavailable);
    await expect(b.get('1')).rejects.toBeInstanceOf(CircuitOpenError);
    await expect(a.list()).resolves.toEqual([]);
    expect(breakerOf(a, 'list').name).toBe('OrdersClient.list');
  });

  it('guards synchronous and static methods', async () => {
    expect(new OrdersClient().total(1, 2)).toBe(3);
    await expect(OrdersClient.health()).resolves.toBe('ok');
    expect(breakerOf(OrdersClient, 'health').name).toBe('OrdersClient.health');
  });

  it('keeps reflect-metadata whichever order the decorators are written in', () => {
    const proto = OrdersClient.prototype;
    expect(Reflect.getMetadata('roles', proto.above)).toEqual(['admin']);
    expect(Reflect.getMetadata('roles', proto.below)).toEqual(['user']);
    expect(Reflect.getMetadata('route', proto, 'above')).toBe('/orders');
    expect(Reflect.getMetadata('route', proto, 'below')).toBe('/orders/below');
    expect(proto.below.name).toBe('below');
  });

  it('gives each instance its own breaker with scope: instance', async () => {
    const a = new OrdersClient();
    const b = new OrdersClient();
    await a.mine().catch(() => undefined);
    expect(breakerOf(a, 'mine').state).toBe('open');
    expect(breakerOf(b, 'mine').state).toBe('closed');
  });

  it('refuses @circuitSync on an async method when the class is defined, pointing to circuit', () => {
    const decorate = circuitSync as unknown as (target: object, key: string, descriptor: PropertyDescriptor) => unknown;
    const descriptor = { value: async function load() {}, writable: true, configurable: true };
    expect(() => decorate(class Client {}.prototype, 'load', descriptor)).toThrow(
      new TypeError('circuitSync cannot guard the async function "Client.load": it would count every promise as a success. Use circuit'),
    );
  });

  it('refuses accessors and fields with a TypeError naming them', () => {
    const decorate = circuit() as unknown as (target: object, key: string, descriptor?: PropertyDescriptor) => unknown;
    expect(() => decorate({}, 'url')).toThrow(new TypeError('@circuit can only decorate methods, not the field "url"'));
    expect(() => decorate({}, 'state', { get: () => 1 })).toThrow('not the accessor "state"');
    expect(() => decorate({}, 'limit', { value: 5 })).toThrow('not the property "limit"');
  });
});

describe('experimentalDecorators: retry and timeout', () => {
  it('stack with @circuit in either order, and breakerOf sees through them', async () => {
    const { retry, timeout } = await import('circuitry');
    class Client {
      calls = 0;
      @retry({ attempts: 2, wait: 0 })
      @circuit({ failureThreshold: 5 })
      @timeout(1_000)
      async get(): Promise<string> {
        this.calls += 1;
        if (this.calls === 1) throw new Error('blip');
        return 'ok';
      }
    }
    const client = new Client();
    await expect(client.get()).resolves.toBe('ok');
    expect(client.calls).toBe(2);
    expect(breakerOf(client, 'get').stats()).toMatchObject({ failures: 1, successes: 1 });
    expect(Client.prototype.get.name).toBe('get');
  });
});
