import { CircuitBreaker, countWindow } from 'circuitry';
import { describe, expect, it } from 'vitest';
import { driven } from '../helpers/drive.js';
import { deferred, flush } from '../helpers/manual-clock.js';
import { circuit, restoreBreaker } from 'circuitry';
import { manualClock } from '../helpers/manual-clock.js';

/** A breaker opened once and now half-open, with trials judged as a sample of `calls`. */
async function halfOpenSample(trials: { calls?: number; failureRate?: number; slowCallRate?: number }, extra = {}) {
  const d = driven({ failureThreshold: 1, trials, ...extra });
  await d.run('fail');
  d.clock.advance(1000);
  expect(d.breaker.state).toBe('half-open');
  return d;
}

describe('trials: judged as a sample', () => {
  it('closes once all the sample is judged below the failure rate, not at the first success', async () => {
    const d = await halfOpenSample({ calls: 4, failureRate: 0.5 });
    await d.run('ok', 'fail', 'ok');
    expect(d.breaker.state).toBe('half-open');
    await d.run('ok');
    expect(d.breaker.state).toBe('closed');
  });

  it('re-opens as soon as the failures reach the rate of the whole sample', async () => {
    const d = await halfOpenSample({ calls: 4, failureRate: 0.5 });
    await d.run('fail');
    expect(d.breaker.state).toBe('half-open');
    await d.run('fail');
    expect(d.breaker.state).toBe('open');
    expect(d.breaker.retryAfter).toBe(1000);
  });

  it('admits no more than the sample, all at once by default, and refuses the rest', async () => {
    const clock = manualClock();
    const pending = [deferred<string>(), deferred<string>(), deferred<string>()];
    let next = 0;
    const call = circuit(() => pending[next++]!.promise, { clock, failureThreshold: 1, recoveryTimeout: 1000, trials: { calls: 3 } });
    call.breaker.open();
    clock.advance(1000);
    const running = [call(), call(), call()];
    await expect(call()).rejects.toMatchObject({ name: 'CircuitOpenError', state: 'half-open' });
    pending.forEach((p) => p.resolve('ok'));
    await Promise.all(running);
    expect(call.breaker.state).toBe('closed');
  });

  it('runs the sample halfOpenMaxCalls at a time when fewer are asked for', async () => {
    const clock = manualClock();
    const first = deferred<string>();
    const call = circuit(() => first.promise, { clock, recoveryTimeout: 1000, trials: { calls: 3 }, halfOpenMaxCalls: 1 });
    call.breaker.open();
    clock.advance(1000);
    const trial = call();
    await expect(call()).rejects.toMatchObject({ name: 'CircuitOpenError' });
    first.resolve('ok');
    await trial;
    await flush();
    expect(call.breaker.state).toBe('half-open');
  });

  it('counts a slow trial as slow, and re-opens on the slow-call rate', async () => {
    const d = await halfOpenSample({ calls: 2, failureRate: 1, slowCallRate: 0.5 }, { slowCallDuration: 100 });
    await d.guarded('ok', 150);
    expect(d.breaker.state).toBe('open');
  });

  it('frees the place of an error expectedError does not count, so another trial completes the sample', async () => {
    const clock = manualClock();
    let outcome: 'ok' | 'ignored' = 'ignored';
    const call = circuit(
      async () => {
        if (outcome === 'ignored') throw new TypeError('not counted');
        return 'ok';
      },
      { clock, recoveryTimeout: 1000, trials: { calls: 2 }, expectedError: RangeError },
    );
    call.breaker.open();
    clock.advance(1000);
    await call().catch(() => undefined);
    outcome = 'ok';
    await call();
    expect(call.breaker.state).toBe('half-open');
    await call();
    expect(call.breaker.state).toBe('closed');
  });

  it('keeps the default unchanged: one failed trial re-opens, successThreshold successes close', async () => {
    const d = driven({ failureThreshold: 1, successThreshold: 2 });
    await d.run('fail');
    d.clock.advance(1000);
    await d.run('ok');
    expect(d.breaker.state).toBe('half-open');
    await d.run('fail');
    expect(d.breaker.state).toBe('open');
  });

  it('refuses a sample that contradicts successThreshold or halfOpenMaxCalls, or is malformed, naming the option', () => {
    expect(() => new CircuitBreaker({ trials: { calls: 5 }, successThreshold: 2 })).toThrow(new TypeError('successThreshold cannot be combined with trials'));
    expect(() => new CircuitBreaker({ trials: { calls: 5 }, halfOpenMaxCalls: 6 })).toThrow(new RangeError('halfOpenMaxCalls must be at most trials.calls, got 6'));
    expect(() => new CircuitBreaker({ trials: { calls: 0 } })).toThrow(new RangeError('trials.calls must be a positive integer, got 0'));
    expect(() => new CircuitBreaker({ trials: { failureRate: 1.5 } })).toThrow(new RangeError('trials.failureRate must be a rate above 0 and at most 1, got 1.5'));
    expect(() => new CircuitBreaker({ trials: { calls: 5, size: 3 } as never })).toThrow(new TypeError('unknown trials option "size"'));
    expect(() => new CircuitBreaker({ trials: 5 as never })).toThrow(new TypeError('trials options must be an object, got 5'));
    expect(() => new CircuitBreaker({ trials: { slowCallRate: 0.5 } })).toThrow(
      new TypeError('a slowCallRate (of the policy or trials) needs slowCallDuration: the milliseconds at or above which a call is slow'),
    );
    // slowCallDuration no longer needs a window policy once trials judge slow calls.
    expect(() => new CircuitBreaker({ trials: { slowCallRate: 0.5 }, slowCallDuration: 200, policy: countWindow({ size: 10 }) })).not.toThrow();
    expect(() => new CircuitBreaker({ trials: {}, slowCallDuration: 200 })).not.toThrow();
  });

  it('can be switched on and off by configure, applying from the next outcome', async () => {
    const d = await halfOpenSample({ calls: 3 });
    d.breaker.configure({ trials: undefined });
    await d.run('ok');
    expect(d.breaker.state).toBe('closed');
  });

  it('judges at once a sample that configure() makes complete, since no trial could complete it (it stayed half-open, refusing every call)', async () => {
    const d = await halfOpenSample({ calls: 4 });
    await d.run('ok', 'ok');
    d.breaker.configure({ trials: { calls: 2 } });
    expect(d.breaker.state).toBe('closed');
    const failing = await halfOpenSample({ calls: 4, failureRate: 0.5 });
    await failing.run('ok', 'fail');
    failing.breaker.configure({ trials: { calls: 2, failureRate: 0.5 } });
    expect(failing.breaker.state).toBe('open');
  });

  it('judges the trials so far one by one once configure() switches the sample off: a failure the sample counted re-opens then, not at the next success', async () => {
    const d = await halfOpenSample({ calls: 4, failureRate: 0.5 });
    await d.run('fail');
    d.breaker.configure({ trials: undefined });
    expect(d.breaker.state).toBe('open');
    d.clock.advance(1000);
    await d.run('ok');
    expect(d.breaker.state).toBe('closed');
  });

  it('judges at once a restored half-open circuit whose trial successes fill the sample', async () => {
    const d = driven({ failureThreshold: 1, successThreshold: 3 });
    await d.run('fail');
    d.clock.advance(1000);
    await d.run('ok', 'ok');
    const restored = restoreBreaker(JSON.parse(JSON.stringify(d.breaker)), { clock: d.clock, recoveryTimeout: 1000, trials: { calls: 2 }, registry: false });
    expect(restored.state).toBe('closed');
  });
});
