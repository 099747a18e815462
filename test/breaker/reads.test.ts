// Reading a breaker (state, retryAfter, stats()) reports the effective state and changes nothing:
// a health endpoint polling it must not raise a change no call has made. And three rules users
// trip on: what a disabled breaker counts, what the window shows while open, what reset() tells.
import { describe, expect, it, vi } from 'vitest';
import { CircuitBreaker, circuit, countWindow } from 'circuitry';
import type { CircuitEvent } from 'circuitry';
import { deferred, manualClock } from '../helpers/manual-clock.js';

function tripped(options: ConstructorParameters<typeof CircuitBreaker>[0] = {}) {
  const clock = manualClock(0);
  const onHalfOpen = vi.fn();
  const breaker = new CircuitBreaker({ clock, registry: false, failureThreshold: 1, recoveryTimeout: 1_000, onHalfOpen, ...options });
  const heard: string[] = [];
  for (const event of ['open', 'close', 'halfOpen', 'stateChange', 'success', 'failure'] as CircuitEvent[]) breaker.on(event, () => heard.push(event));
  return { clock, breaker, onHalfOpen, heard };
}

describe('reads change nothing', () => {
  it('state, retryAfter and stats() read an open period that has passed as half-open, and fire nothing', async () => {
    const { clock, breaker, onHalfOpen, heard } = tripped();
    await breaker.execute(() => Promise.reject(new Error('down'))).catch(() => undefined);
    const openedSince = breaker.stats().since;
    heard.length = 0;
    clock.advance(1_000);
    for (let i = 0; i < 3; i++) {
      expect(breaker.state).toBe('half-open');
      expect(breaker.retryAfter).toBe(0);
      expect(breaker.stats()).toMatchObject({ state: 'half-open', retryAfter: 0, since: openedSince });
    }
    expect(heard).toEqual([]);
    expect(onHalfOpen).not.toHaveBeenCalled();
    expect(breaker.toJSON().state).toBe('open');
    // The call that arrives makes the change, and it is told once, in order.
    await breaker.execute(() => 'ok');
    expect(heard).toEqual(['halfOpen', 'stateChange', 'success', 'close', 'stateChange']);
    expect(onHalfOpen).toHaveBeenCalledTimes(1);
  });

  it('counts the open period down on reads, whatever reads it, and a step back of the clock is still no time at all', async () => {
    const { clock, breaker, heard } = tripped();
    await breaker.execute(() => Promise.reject(new Error('down'))).catch(() => undefined);
    clock.advance(400);
    expect(breaker.retryAfter).toBe(600);
    clock.set(100); // a step back of 300 ms
    expect(breaker.retryAfter).toBe(600);
    clock.advance(600);
    expect(breaker.state).toBe('half-open');
    expect(heard).toEqual(['failure', 'open', 'stateChange']);
  });

  it('reads a half-open circuit whose trials are all taken as it is, and the time until a slot lapses', async () => {
    const { clock, breaker } = tripped();
    await breaker.execute(() => Promise.reject(new Error('down'))).catch(() => undefined);
    clock.advance(1_000);
    const trial = deferred<string>();
    const call = breaker.execute(() => trial.promise);
    clock.advance(250);
    expect(breaker.state).toBe('half-open');
    expect(breaker.retryAfter).toBe(750);
    trial.resolve('ok');
    await call;
    expect(breaker.state).toBe('closed');
  });
});

describe('while disabled', () => {
  it('counts and tells every outcome (stats and success/failure events), but never changes state', async () => {
    const { breaker, heard } = tripped();
    breaker.disable();
    heard.length = 0;
    await breaker.execute(() => 'ok');
    for (let i = 0; i < 3; i++) await breaker.execute(() => Promise.reject(new Error('down'))).catch(() => undefined);
    expect(breaker.state).toBe('disabled');
    expect(heard).toEqual(['success', 'failure', 'failure', 'failure']);
    expect(breaker.stats()).toMatchObject({ successes: 1, failures: 3, state: 'disabled' });
    // Counted, but toward nothing: the circuit does not hold them against the dependency.
    expect(breaker.consecutiveFailures).toBe(0);
  });
});

describe('stats().window', () => {
  it('still shows the counts that tripped the circuit while open and half-open, and starts afresh when it closes', async () => {
    const clock = manualClock(0);
    const breaker = new CircuitBreaker({ clock, registry: false, recoveryTimeout: 1_000, policy: countWindow({ size: 4, failureRate: 0.5, minimumCalls: 4 }) });
    const fail = () => breaker.execute(() => Promise.reject(new Error('down'))).catch(() => undefined);
    await breaker.execute(() => 'ok');
    await breaker.execute(() => 'ok');
    await fail();
    await fail();
    expect(breaker.state).toBe('open');
    expect(breaker.stats().window).toMatchObject({ calls: 4, failures: 2 });
    clock.advance(1_000);
    const trial = deferred<string>();
    const call = breaker.execute(() => trial.promise);
    expect(breaker.state).toBe('half-open');
    expect(breaker.stats().window).toMatchObject({ calls: 4, failures: 2 });
    trial.resolve('ok');
    await call;
    expect(breaker.state).toBe('closed');
    expect(breaker.stats().window).toMatchObject({ calls: 0, failures: 0 });
  });
});

describe('reset() from closed', () => {
  it('emits nothing, but clears the consecutive failures and the window, and calls admitted before no longer count', async () => {
    const clock = manualClock(0);
    const breaker = new CircuitBreaker({ clock, registry: false, failureThreshold: 2 });
    const heard: string[] = [];
    for (const event of ['open', 'close', 'halfOpen', 'stateChange'] as CircuitEvent[]) breaker.on(event, () => heard.push(event));
    const guarded = circuit((gate: Promise<string>) => gate, breaker);
    await guarded(Promise.reject(new Error('down'))).catch(() => undefined);
    const inFlight = deferred<string>();
    const late = guarded(inFlight.promise).catch(() => undefined);
    expect(breaker.consecutiveFailures).toBe(1);
    breaker.reset();
    expect(heard).toEqual([]);
    expect(breaker.state).toBe('closed');
    expect(breaker.consecutiveFailures).toBe(0);
    // The call admitted before the reset fails now: counted in stats, but not toward opening.
    inFlight.reject(new Error('late'));
    await late;
    expect(breaker.consecutiveFailures).toBe(0);
    expect(breaker.stats()).toMatchObject({ failures: 2, state: 'closed' });
    expect(heard).toEqual([]);
  });
});
