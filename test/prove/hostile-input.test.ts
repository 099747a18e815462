// Every public entry point, fed what it must refuse: each refusal is a TypeError or RangeError
// that names what was wrong, and leaves an existing breaker exactly as it was.
import { describe, expect, it } from 'vitest';
import {
  CircuitBreaker,
  breakerOf,
  bulkhead,
  bulkheadOf,
  retryBudget,
  circuit,
  circuitSync,
  countWindow,
  exponentialBackoff,
  pipe,
  restoreBreaker,
  retry,
  timeout,
  timeWindow,
} from 'circuitry';
import * as main from 'circuitry';
import { sharedStore } from 'circuitry/store';
import { registerPromClientMetrics, toPrometheus } from 'circuitry/prometheus';

type Case = [what: string, attempt: () => unknown, type: typeof TypeError | typeof RangeError, names: string];

const breaker = new CircuitBreaker({ name: 'hostile-target', registry: false, failureThreshold: 3 });
const snapshot = { version: 2, name: 'x', state: 'closed', consecutiveFailures: 0, openings: 0, policy: null };
const standard = (kind: string) => ({ kind, name: 'member', static: false, private: false, addInitializer: () => undefined });

const cases: Case[] = [
  ['failureThreshold 0', () => new CircuitBreaker({ failureThreshold: 0 }), RangeError, 'failureThreshold'],
  ['failureThreshold -1', () => new CircuitBreaker({ failureThreshold: -1 }), RangeError, 'failureThreshold'],
  ['failureThreshold 1.5', () => new CircuitBreaker({ failureThreshold: 1.5 }), RangeError, 'failureThreshold'],
  ['failureThreshold NaN', () => new CircuitBreaker({ failureThreshold: Number.NaN }), RangeError, 'failureThreshold'],
  ['ramp of no length', () => new CircuitBreaker({ ramp: { duration: 0 } }), RangeError, 'ramp.duration'],
  ['ramp minShare NaN', () => new CircuitBreaker({ ramp: { duration: 1000, minShare: Number.NaN } }), RangeError, 'ramp.minShare'],
  ['failureThreshold "5"', () => new CircuitBreaker({ failureThreshold: '5' as never }), TypeError, 'failureThreshold'],
  ['failureThreshold 2^53', () => new CircuitBreaker({ failureThreshold: 2 ** 53 }), RangeError, 'failureThreshold'],
  ['recoveryTimeout -1', () => new CircuitBreaker({ recoveryTimeout: -1 }), RangeError, 'recoveryTimeout'],
  ['recoveryTimeout Infinity', () => new CircuitBreaker({ recoveryTimeout: Infinity }), RangeError, 'recoveryTimeout'],
  ['recoveryTimeout NaN', () => new CircuitBreaker({ recoveryTimeout: Number.NaN }), RangeError, 'recoveryTimeout'],
  ['recoveryTimeout null', () => new CircuitBreaker({ recoveryTimeout: null as never }), TypeError, 'recoveryTimeout'],
  ['halfOpenMaxCalls 0', () => new CircuitBreaker({ halfOpenMaxCalls: 0 }), RangeError, 'halfOpenMaxCalls'],
  ['successThreshold -2', () => new CircuitBreaker({ successThreshold: -2 }), RangeError, 'successThreshold'],
  ['trials calls 0', () => new CircuitBreaker({ trials: { calls: 0 } }), RangeError, 'trials.calls'],
  ['trials failureRate NaN', () => new CircuitBreaker({ trials: { failureRate: Number.NaN } }), RangeError, 'trials.failureRate'],
  ['trials with successThreshold', () => new CircuitBreaker({ trials: {}, successThreshold: 2 }), TypeError, 'successThreshold'],
  ['openPeriodOf a number', () => new CircuitBreaker({ openPeriodOf: 120 as never }), TypeError, 'openPeriodOf'],
  ['maxOpenPeriod below minOpenPeriod', () => new CircuitBreaker({ minOpenPeriod: 2_000, maxOpenPeriod: 1_000 }), RangeError, 'maxOpenPeriod'],
  ['minOpenPeriod NaN', () => new CircuitBreaker({ minOpenPeriod: Number.NaN }), RangeError, 'minOpenPeriod'],
  ['shareOpenPeriodOf 1', () => new CircuitBreaker({ shareOpenPeriodOf: 1 as never }), TypeError, 'shareOpenPeriodOf'],
  ['shadow "true"', () => new CircuitBreaker({ shadow: 'true' as never }), TypeError, 'shadow'],
  ['expectedError a string', () => new CircuitBreaker({ expectedError: 'Error' as never }), TypeError, 'expectedError'],
  ['expectedError []', () => new CircuitBreaker({ expectedError: [] }), RangeError, 'expectedError'],
  ['expectedError [42]', () => new CircuitBreaker({ expectedError: [42] as never }), TypeError, 'expectedError[0]'],
  ['expectedError a non-Error class', () => new CircuitBreaker({ expectedError: class Foo {} as never }), TypeError, 'expectedError'],
  ['onOpen a string', () => new CircuitBreaker({ onOpen: 'log' as never }), TypeError, 'onOpen'],
  ['reportError an object', () => new CircuitBreaker({ reportError: {} as never }), TypeError, 'reportError'],
  ['clock without now', () => new CircuitBreaker({ clock: { time: () => 1 } as never }), TypeError, 'clock'],
  ['name ""', () => new CircuitBreaker({ name: '' }), TypeError, 'name'],
  ['name a symbol', () => new CircuitBreaker({ name: Symbol('x') as never }), TypeError, 'name'],
  ['registry a Map', () => new CircuitBreaker({ registry: new Map() as never }), TypeError, 'registry'],
  ['policy not a function', () => new CircuitBreaker({ policy: {} as never }), TypeError, 'policy'],
  ['policy returning null', () => new CircuitBreaker({ policy: () => null as never }), TypeError, 'policy'],
  ['policy with failureThreshold', () => new CircuitBreaker({ policy: countWindow({ size: 5 }), failureThreshold: 2 }), TypeError, 'failureThreshold'],
  ['slowCallDuration without policy', () => new CircuitBreaker({ slowCallDuration: 10 }), TypeError, 'slowCallDuration'],
  ['slowCallDuration 0', () => new CircuitBreaker({ policy: countWindow({ size: 5 }), slowCallDuration: 0 }), RangeError, 'slowCallDuration'],
  ['isFailure a boolean', () => new CircuitBreaker({ isFailure: true as never }), TypeError, 'isFailure'],
  ['unknown option', () => new CircuitBreaker({ treshold: 1 } as never), TypeError, 'treshold'],
  ['options an array', () => new CircuitBreaker([] as never), TypeError, 'circuit options'],
  ['countWindow size 0', () => countWindow({ size: 0 }), RangeError, 'size'],
  ['countWindow failureRate 2', () => countWindow({ size: 5, failureRate: 2 }), RangeError, 'failureRate'],
  ['countWindow minimumCalls above size', () => countWindow({ size: 5, minimumCalls: 6 }), RangeError, 'minimumCalls'],
  ['timeWindow duration -5', () => timeWindow({ duration: -5 }), RangeError, 'duration'],
  ['timeWindow buckets 1.5', () => timeWindow({ duration: 1000, buckets: 1.5 }), RangeError, 'buckets'],
  ['exponentialBackoff max below initial', () => exponentialBackoff({ initial: 10, max: 5 }), RangeError, 'max'],
  ['exponentialBackoff jitter "some"', () => exponentialBackoff({ initial: 1, max: 5, jitter: 'some' as never }), TypeError, 'jitter'],
  ['circuit options a number', () => circuit(async () => 1, 3 as never), TypeError, 'circuit options'],
  ['circuit fallback a string', () => circuit(async () => 1, { fallback: 'x' as never }), TypeError, 'fallback'],
  ['circuit breaker not a breaker', () => circuit(async () => 1, { breaker: {} as never }), TypeError, 'breaker'],
  ['circuit breaker with options', () => circuit(async () => 1, { breaker, halfOpenMaxCalls: 2 }), TypeError, 'halfOpenMaxCalls'],
  ['circuitSync scope', () => circuitSync(() => 1, { scope: 'class' } as never), TypeError, 'scope'],
  ['decorator scope "global"', () => circuit({ scope: 'global' as never }), TypeError, 'scope'],
  ['decorator on a field', () => (circuit() as never as (v: unknown, c: unknown) => unknown)(undefined, standard('field')), TypeError, 'member'],
  ['decorator on a getter', () => (circuit() as never as (v: unknown, c: unknown) => unknown)(() => 1, standard('getter')), TypeError, 'member'],
  ['decorator on a class', () => (circuit() as never as (v: unknown, c: unknown) => unknown)(class {}, standard('class')), TypeError, 'member'],
  ['legacy decorator on an accessor', () => (circuit() as never as (...a: unknown[]) => unknown)({}, 'member', { get: () => 1 }), TypeError, 'member'],
  ['breakerOf a plain function', () => breakerOf(() => 1), TypeError, 'breakerOf'],
  ['breakerOf an unguarded method', () => breakerOf({ m() {} }, 'm'), TypeError, 'm'],
  ['open for NaN', () => breaker.open({ for: Number.NaN }), RangeError, 'open({ for })'],
  ['on an unknown event', () => breaker.on('opened' as never, () => 1), TypeError, 'event'],
  ['on a listener that is not a function', () => breaker.on('open', null as never), TypeError, 'listener'],
  ['configure failureThreshold 0', () => breaker.configure({ failureThreshold: 0 }), RangeError, 'failureThreshold'],
  ['configure name', () => breaker.configure({ name: 'y' } as never), TypeError, 'name'],
  ['configure registry', () => breaker.configure({ registry: false } as never), TypeError, 'registry'],
  ['configure a mix of good and bad', () => breaker.configure({ halfOpenMaxCalls: 4, recoveryTimeout: -1 }), RangeError, 'recoveryTimeout'],
  ['configure a typo', () => breaker.configure({ failureTreshold: 1 } as never), TypeError, 'failureTreshold'],
  ['restore null', () => restoreBreaker(null as never, { registry: false }), TypeError, 'snapshot'],
  ['restore state "ajar"', () => restoreBreaker({ ...snapshot, state: 'ajar' } as never, { registry: false }), TypeError, 'snapshot.state'],
  ['restore a __proto__ key', () => restoreBreaker(JSON.parse('{"__proto__":{},"version":1,"name":"x","state":"closed","failures":0,"openings":0,"policy":null}'), { registry: false }), TypeError, '__proto__'],
  ['restore failures -1', () => restoreBreaker({ ...snapshot, consecutiveFailures: -1 } as never, { registry: false }), RangeError, 'snapshot.consecutiveFailures'],
  ['restore version 0', () => restoreBreaker({ ...snapshot, version: 0 } as never, { registry: false }), RangeError, 'snapshot.version'],
  ['restore registry a string', () => restoreBreaker(snapshot as never, { registry: 'default' as never }), TypeError, 'registry'],
  // A duplicate name is no longer refused (it is listed beside the other, see the registry tests).
  ['registry whose register is no function', () => new CircuitBreaker({ name: 'twice', registry: { register: 1 } as never }), TypeError, 'registry'],
  ['prometheus prefix "1x"', () => toPrometheus({ prefix: '1x' }), TypeError, 'prefix'],
  ['prometheus prefix with a space', () => toPrometheus({ prefix: 'a b' }), TypeError, 'prefix'],
  ['timeout 0 ms', () => timeout(async () => 1, 0), RangeError, 'timeout'],
  ['timeout 2^31 ms, past what a timer can wait', () => timeout(async () => 1, 2 ** 31), RangeError, 'timeout'],
  ['circuit timeout 2^31 ms', () => circuit(async () => 1, { timeout: 2 ** 31 }), RangeError, 'timeout'],
  ['retry attempts 0', () => retry(async () => 1, { attempts: 0 }), RangeError, 'attempts'],
  ['retry wait 2^31 ms', () => retry(async () => 1, { wait: 2 ** 31 }), RangeError, 'wait'],
  ['retry a typo', () => retry(async () => 1, { atempts: 2 } as never), TypeError, 'atempts'],
  ['bulkhead maxConcurrent 0', () => bulkhead(async () => 1, { maxConcurrent: 0 }), RangeError, 'maxConcurrent'],
  ['bulkhead maxQueue -1', () => bulkhead(async () => 1, { maxConcurrent: 1, maxQueue: -1 }), RangeError, 'maxQueue'],
  ['bulkhead queueTimeout 0', () => bulkhead(async () => 1, { maxConcurrent: 1, queueTimeout: 0 }), RangeError, 'queueTimeout'],
  ['bulkheadOf a plain function', () => bulkheadOf(() => 1), TypeError, 'bulkheadOf'],
  ['retryBudget ratio -1', () => retryBudget({ ratio: -1 }), RangeError, 'ratio'],
  ['retryBudget minPerSecond -1', () => retryBudget({ minPerSecond: -1 }), RangeError, 'minPerSecond'],
  ['retry budget not a budget', () => retry(async () => 1, { budget: {} as never }), TypeError, 'budget'],
  ['pipe a layer that is not a function', () => pipe(async () => 1, 5 as never), TypeError, 'pipe layer 1'],
  ['execute something that is not a function', () => breaker.execute(5 as never), TypeError, 'execute'],
  ['sharedStore a backend without its methods', () => sharedStore({ read: () => 1 } as never), TypeError, 'backend'],
  ['prom-client not the module', () => registerPromClientMetrics({ Gauge: 1 } as never, {}), TypeError, 'promClient'],
];

describe('hostile input', () => {
  // Functions of the public API that take no input a caller could get wrong.
  const takesNoInput = new Set(['isCircuitOpenError', 'isBulkheadRejectedError', 'callSignal', 'CircuitOpenError', 'CircuitIsolatedError', 'CircuitRampError', 'BulkheadRejectedError', 'TimeoutError', 'CircuitRegistry']);

  it('feeds every function and class the main entry point exports something it must refuse', () => {
    const callable = Object.entries(main).filter(([name, value]) => typeof value === 'function' && !takesNoInput.has(name));
    const untried = callable.map(([name]) => name).filter((name) => !cases.some(([, attempt]) => new RegExp(`\\b${name}\\b`).test(attempt.toString())));
    expect(untried).toEqual([]);
  });

  it.each(cases)('refuses %s', (_what, attempt, type, names) => {
    const before = JSON.stringify([breaker.toJSON(), breaker.stats()]);
    let thrown: unknown;
    try {
      attempt();
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(type);
    expect((thrown as Error).message).toContain(names);
    expect(JSON.stringify([breaker.toJSON(), breaker.stats()])).toBe(before);
  });

  it('still works after all of that, with its original options', async () => {
    const guarded = circuit(async () => {
      throw new Error('x');
    }, breaker);
    for (let i = 0; i < 2; i++) await guarded().catch(() => undefined);
    expect(breaker.state).toBe('closed');
    await guarded().catch(() => undefined);
    expect(breaker.state).toBe('open'); // failureThreshold is still 3, recoveryTimeout unchanged
    expect(breaker.retryAfter).toBeGreaterThan(29_000); // the default recovery time, on the wall clock
  });
});
