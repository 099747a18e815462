import { describe, expect, it } from 'vitest';
import { CircuitBreaker, CircuitRegistry, defaultRegistry } from 'circuitry';
import type { RegistryEvents } from 'circuitry';
import { collected } from '../helpers/gc.js';
import { manualClock } from '../helpers/manual-clock.js';

const fail = () => Promise.reject(new Error('down'));

describe('registry.on', () => {
  it('hears every breaker present and registered later, with its name and key in the payload', async () => {
    const registry = new CircuitRegistry();
    const early = new CircuitBreaker({ name: 'early', registry, failureThreshold: 1 });
    const seen: RegistryEvents['stateChange'][] = [];
    registry.on('stateChange', (event) => seen.push(event));
    const late = new CircuitBreaker({ name: 'late', registry, failureThreshold: 1 });
    await early.execute(fail).catch(() => undefined);
    await late.execute(fail).catch(() => undefined);
    expect(seen.map(({ name, key, from, to, breaker }) => ({ name, key, from, to, breaker }))).toEqual([
      { name: 'early', key: 'early', from: 'closed', to: 'open', breaker: early },
      { name: 'late', key: 'late', from: 'closed', to: 'open', breaker: late },
    ]);
  });

  it('gives breakers sharing a name the keys entries() lists them under', () => {
    const registry = new CircuitRegistry();
    const a = new CircuitBreaker({ name: 'shared', registry });
    const b = new CircuitBreaker({ name: 'shared', registry });
    const keys: string[] = [];
    registry.on('open', ({ key }) => keys.push(key));
    a.open();
    b.open();
    const listed = new Map(registry.entries().map(([key, breaker]) => [breaker, key]));
    expect(keys).toEqual([listed.get(a), listed.get(b)]);
    expect(keys[0]).not.toBe(keys[1]);
  });

  it('passes each event its own payload: the cause of an open, the duration of a call on the breaker clock', async () => {
    const clock = manualClock();
    const registry = new CircuitRegistry();
    const breaker = new CircuitBreaker({ name: 'timed', registry, clock, failureThreshold: 1 });
    const durations: number[] = [];
    const causes: unknown[] = [];
    registry.on('success', ({ duration }) => durations.push(duration));
    registry.on('open', ({ cause }) => causes.push(cause));
    await breaker.execute(async () => {
      clock.advance(250);
      return 1;
    });
    const error = new Error('down');
    await breaker.execute(() => Promise.reject(error)).catch(() => undefined);
    expect(durations).toEqual([250]);
    expect(causes).toEqual([error]);
  });

  it('stops hearing a breaker that is unregistered, and every breaker once removed', () => {
    const registry = new CircuitRegistry();
    const a = new CircuitBreaker({ name: 'a', registry });
    const b = new CircuitBreaker({ name: 'b', registry });
    const heard: string[] = [];
    const off = registry.on('open', ({ name }) => heard.push(name));
    registry.unregister(a);
    a.open();
    b.open();
    expect(heard).toEqual(['b']);
    off();
    off();
    b.close();
    b.open();
    new CircuitBreaker({ name: 'c', registry }).open();
    expect(heard).toEqual(['b']);
  });

  it('moves to the newer breaker when one made at the same place takes the name over', () => {
    const registry = new CircuitRegistry();
    const make = () => new CircuitBreaker({ name: 'reloaded', registry });
    const older = make();
    const heard: CircuitBreaker[] = [];
    registry.on('open', ({ breaker }) => heard.push(breaker));
    const newer = make();
    older.open();
    newer.open();
    expect(heard).toEqual([newer]);
  });

  it('keeps listening to a breaker unregistered then registered again, once', () => {
    const registry = new CircuitRegistry();
    const breaker = new CircuitBreaker({ name: 'again', registry });
    let opens = 0;
    registry.on('open', () => opens++);
    registry.unregister(breaker);
    registry.register(breaker);
    registry.register(breaker);
    breaker.open();
    expect(opens).toBe(1);
  });

  it('never keeps a breaker alive', async () => {
    const registry = new CircuitRegistry();
    registry.on('stateChange', () => undefined);
    registry.on('success', () => undefined);
    const ref = new WeakRef(new CircuitBreaker({ name: 'transient', registry, onOpen: () => undefined }));
    expect(await collected(ref)).toBe(true);
    expect(registry.all()).toEqual([]);
  });

  it('reaches breakers of the default registry, which other copies of circuitry share', () => {
    const breaker = new CircuitBreaker({ name: 'registry-events-default' });
    const heard: string[] = [];
    const off = defaultRegistry.on('stateChange', ({ key, to }) => heard.push(`${key}:${to}`));
    breaker.open();
    off();
    breaker.close();
    defaultRegistry.unregister(breaker);
    expect(heard).toEqual(['registry-events-default:open']);
  });

  it('refuses an unknown event and a listener that is not a function, naming them', () => {
    const registry = new CircuitRegistry();
    expect(() => registry.on('opened' as never, () => undefined)).toThrow(TypeError);
    expect(() => registry.on('open', 'log' as never)).toThrow(new TypeError('listener must be a function, got "log" (a string)'));
  });

  it('reports a throwing listener through the breaker and still calls the next', () => {
    const reported: unknown[] = [];
    const registry = new CircuitRegistry();
    const breaker = new CircuitBreaker({ name: 'loud', registry, reportError: (error) => reported.push(error) });
    let after = 0;
    registry.on('open', () => {
      throw new Error('listener broke');
    });
    registry.on('open', () => after++);
    breaker.open();
    expect(after).toBe(1);
    expect(reported).toHaveLength(1);
  });
});
