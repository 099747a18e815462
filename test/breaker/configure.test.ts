import { describe, expect, it } from 'vitest';
import { CircuitBreaker, countWindow, timeWindow } from 'circuitry';
import { driven } from '../helpers/drive.js';

describe('configure()', () => {
  it('applies new options at once and keeps the state and counts', async () => {
    const d = driven({ failureThreshold: 5 });
    await d.run('fail', 'fail');
    d.breaker.configure({ failureThreshold: 3 });
    await d.run('fail');
    expect(d.breaker.state).toBe('open');
    d.breaker.configure({ recoveryTimeout: 50 });
    await d.run('ok'); // still within the open time fixed when it opened
    expect(d.breaker.retryAfter).toBe(1000);
  });

  it('is atomic: one invalid option and nothing changes', async () => {
    const d = driven({ failureThreshold: 2 });
    expect(() => d.breaker.configure({ failureThreshold: 1, recoveryTimeout: -5 })).toThrow(
      new RangeError('recoveryTimeout must be a positive finite number of milliseconds, got -5'),
    );
    await d.run('fail');
    expect(d.breaker.state).toBe('closed'); // the threshold is still 2
    expect(() => d.breaker.configure({ name: 'other' } as never)).toThrow(new TypeError('name cannot be changed by configure'));
    expect(() => d.breaker.configure({ failureTreshold: 1 } as never)).toThrow(TypeError);
    expect(() => d.breaker.configure({ policy: () => ({}) as never })).toThrow(TypeError);
    await d.run('fail');
    expect(d.breaker.state).toBe('open');
  });

  it('starts a new policy with an empty window, and keeps a policy that did not change', async () => {
    const policy = countWindow({ size: 4, failureRate: 0.5, minimumCalls: 4 });
    const d = driven({ policy });
    await d.run('fail', 'fail', 'ok');
    d.breaker.configure({ halfOpenMaxCalls: 2 });
    await d.run('ok');
    expect(d.breaker.state).toBe('open'); // same factory: the window carried over
    d.breaker.close();
    await d.run('fail', 'fail', 'ok');
    d.breaker.configure({ policy: countWindow({ size: 4, failureRate: 0.5, minimumCalls: 4 }) });
    await d.run('ok');
    expect(d.breaker.state).toBe('closed'); // new factory: one call in a fresh window
  });

  it('can move between the default and a window policy', async () => {
    const d = driven({ failureThreshold: 1 });
    d.breaker.configure({ failureThreshold: undefined, policy: countWindow({ size: 2, minimumCalls: 2 }) });
    await d.run('fail');
    expect(d.breaker.state).toBe('closed');
    expect(() => new CircuitBreaker({ failureThreshold: 3, policy: countWindow({ size: 2 }) })).toThrow(
      new TypeError('failureThreshold cannot be combined with policy: it belongs to the default policy'),
    );
    expect(() => new CircuitBreaker({ slowCallDuration: 100 })).toThrow(
      new TypeError('slowCallDuration needs a window policy (countWindow or timeWindow) or trials to count slow calls against'),
    );
  });

  it('refuses a window with a slowCallRate and no slowCallDuration to say what slow is, made or configured', () => {
    const slowMessage = 'a slowCallRate (of the policy or trials) needs slowCallDuration: the milliseconds at or above which a call is slow';
    expect(() => new CircuitBreaker({ policy: timeWindow({ duration: 1_000, slowCallRate: 0.5 }) })).toThrow(new TypeError(slowMessage));
    expect(() => new CircuitBreaker({ policy: countWindow({ size: 10, slowCallRate: 0.5 }) })).toThrow(new TypeError(slowMessage));
    const b = new CircuitBreaker({ policy: countWindow({ size: 10 }) });
    expect(() => b.configure({ policy: countWindow({ size: 10, slowCallRate: 0.5 }) })).toThrow(new TypeError(slowMessage));
    b.configure({ policy: countWindow({ size: 10, slowCallRate: 0.5 }), slowCallDuration: 200 });
    expect(b.stats().window).toEqual({ calls: 0, failures: 0, slowCalls: 0 });
  });

  it('checks the options as they will be, not the change alone: what the breaker already has completes it', () => {
    const b = new CircuitBreaker({ slowCallDuration: 200, trials: { calls: 4 }, minOpenPeriod: 100, openPeriodOf: () => undefined });
    b.configure({ trials: { calls: 4, slowCallRate: 0.5 } });
    b.configure({ maxOpenPeriod: 500 });
    b.configure({ halfOpenMaxCalls: 4 });
    expect(() => b.configure({ maxOpenPeriod: 50 })).toThrow(new RangeError('maxOpenPeriod must be at least minOpenPeriod (100), got 50'));
  });
});
