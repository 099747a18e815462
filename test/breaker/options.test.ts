import { describe, expect, it } from 'vitest';
import { CircuitBreaker, circuit, circuitSync } from 'circuitry';

const construct = (options: unknown) => () => new CircuitBreaker(options as never);

describe('invalid options fail at construction (rule 15)', () => {
  it.each([
    ['failureThreshold', 0, RangeError, 'failureThreshold must be a positive integer, got 0'],
    ['failureThreshold', -1, RangeError, 'failureThreshold must be a positive integer, got -1'],
    ['failureThreshold', 1.5, RangeError, 'failureThreshold must be a positive integer, got 1.5'],
    ['failureThreshold', Number.NaN, RangeError, 'failureThreshold must be a positive integer, got NaN'],
    ['failureThreshold', '5', TypeError, 'failureThreshold must be a positive integer, got "5" (a string)'],
    ['failureThreshold', null, TypeError, 'failureThreshold must be a positive integer, got null'],
    ['recoveryTimeout', -1, RangeError, 'recoveryTimeout must be a positive finite number of milliseconds, got -1'],
    ['recoveryTimeout', 0, RangeError, 'recoveryTimeout must be a positive finite number of milliseconds, got 0'],
    ['recoveryTimeout', Number.NaN, RangeError, 'recoveryTimeout must be a positive finite number of milliseconds, got NaN'],
    ['recoveryTimeout', Infinity, RangeError, 'recoveryTimeout must be a positive finite number of milliseconds, got Infinity'],
    ['recoveryTimeout', '30s', TypeError, 'recoveryTimeout must be a positive finite number of milliseconds, got "30s" (a string)'],
    ['halfOpenMaxCalls', 0, RangeError, 'halfOpenMaxCalls must be a positive integer, got 0'],
    ['successThreshold', 2.5, RangeError, 'successThreshold must be a positive integer, got 2.5'],
    ['name', '', TypeError, 'name must be a non-empty string, got "" (a string)'],
    ['name', 42, TypeError, 'name must be a non-empty string, got 42'],
    ['clock', {}, TypeError, 'clock must be an object with a now() method, got an object'],
    ['clock', Date.now, TypeError, 'clock must be an object with a now() method, got function now'],
    ['onOpen', 'log', TypeError, 'onOpen must be a function, got "log" (a string)'],
    ['onStateChange', {}, TypeError, 'onStateChange must be a function, got an object'],
    ['reportError', true, TypeError, 'reportError must be a function, got true'],
    ['expectedError', 'Error', TypeError, 'expectedError must be an Error class, an array of Error classes or a predicate function, got "Error" (a string)'],
    ['expectedError', class NotAnError {}, TypeError, 'expectedError must be an Error class, an array of Error classes or a predicate function, got function NotAnError'],
    ['expectedError', [], RangeError, 'expectedError must not be an empty array: no error would ever count'],
    ['expectedError', [TypeError, (e: unknown) => !!e], TypeError, 'expectedError[1] must be an Error class, got an anonymous function'],
  ])('%s = %s', (key, value, type, message) => {
    expect(construct({ [key]: value })).toThrow(type);
    expect(construct({ [key]: value })).toThrow(message);
  });

  it('rejects options that are not an object, and unknown keys (typos)', () => {
    expect(construct(5)).toThrow(new TypeError('circuit options must be an object, got 5'));
    expect(construct({ failureTreshold: 3 })).toThrow(new TypeError('unknown circuit option "failureTreshold"'));
  });

  it('checks circuit() options when circuit() is called, not at the first call', () => {
    expect(() => circuit(async () => 1, { failureThreshold: -1 })).toThrow(RangeError);
    expect(() => circuit(async () => 1, { fallback: 'cold' } as never)).toThrow('fallback must be a function, got "cold" (a string)');
    expect(() => circuit(async () => 1, 'users' as never)).toThrow(TypeError);
    expect(() => circuitSync(() => 1, { scope: 'instance' } as never)).toThrow('unknown circuit option "scope"');
    expect(() => circuit({ scope: 'global' } as never)).toThrow('scope must be "class" or "instance", got "global" (a string)');
  });

  it('refuses breaker options next to a shared breaker', () => {
    const shared = new CircuitBreaker();
    expect(() => circuit(async () => 1, { breaker: shared, failureThreshold: 2 })).toThrow(
      'failureThreshold cannot be combined with breaker: a shared breaker keeps its own options',
    );
    expect(() => circuit(async () => 1, { breaker: {} as CircuitBreaker })).toThrow('breaker must be a CircuitBreaker, got an object');
    expect(() => circuit({ breaker: shared, scope: 'instance' })).toThrow(
      'scope "instance" cannot be combined with breaker: a shared breaker keeps its own options',
    );
  });

  it('does not mutate the options object it is given', () => {
    const options = Object.freeze({ failureThreshold: 2, name: 'frozen', registry: false as const });
    const a = circuit(async () => 1, options);
    const b = circuit(async () => 2, options);
    expect(a.breaker).not.toBe(b.breaker);
    expect(options).toEqual({ failureThreshold: 2, name: 'frozen', registry: false });
  });

  it('applies the documented defaults', async () => {
    let t = 0;
    const breaker = new CircuitBreaker({ clock: { now: () => t } });
    const failing = circuit(async () => {
      throw new Error('x');
    }, breaker);
    for (let i = 0; i < 4; i++) await failing().catch(() => undefined);
    expect(breaker.state).toBe('closed');
    await failing().catch(() => undefined);
    expect(breaker.state).toBe('open');
    t = 29_999;
    expect(breaker.state).toBe('open');
    t = 30_000;
    expect(breaker.state).toBe('half-open');
    expect(breaker.name).toBe('anonymous');
  });
});
