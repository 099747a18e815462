import { describe, expect, it } from 'vitest';
import { circuit, isCircuitOpenError } from 'circuitry';
import { deferred, flush, manualClock } from '../helpers/manual-clock.js';

describe('concurrency', () => {
  it.each([1, 3, 50])('admits exactly halfOpenMaxCalls = %i of 5,000 calls arriving at the moment of half-open', async (halfOpenMaxCalls) => {
    const clock = manualClock();
    const gate = deferred<string>();
    let running = 0;
    let fail = true;
    const guarded = circuit(
      async () => {
        if (fail) throw new Error('down');
        running += 1;
        return gate.promise;
      },
      { clock, failureThreshold: 1, recoveryTimeout: 1000, halfOpenMaxCalls, successThreshold: halfOpenMaxCalls },
    );
    await guarded().catch(() => undefined);
    fail = false;
    clock.advance(1000);
    const calls = Array.from({ length: 5000 }, () => guarded());
    const early = await Promise.allSettled(calls.slice(halfOpenMaxCalls));
    expect(running).toBe(halfOpenMaxCalls);
    expect(early.every((r) => r.status === 'rejected' && isCircuitOpenError(r.reason))).toBe(true);
    gate.resolve('ok');
    await Promise.all(calls.slice(0, halfOpenMaxCalls));
    expect(guarded.breaker.state).toBe('closed');
  });

  it('a burst of 10,000 concurrent failures opens the circuit once', async () => {
    let opens = 0;
    const gate = deferred<never>();
    const guarded = circuit(() => gate.promise, { failureThreshold: 10, onOpen: () => (opens += 1) });
    const calls = Array.from({ length: 10_000 }, () => guarded().catch(() => undefined));
    gate.reject(new Error('down'));
    await Promise.all(calls);
    expect(opens).toBe(1);
    expect(guarded.breaker.stats()).toMatchObject({ failures: 10_000, rejections: 0 });
  });

  it('late outcomes of older generations never flip the state', async () => {
    const clock = manualClock();
    const old = Array.from({ length: 100 }, () => deferred<string>());
    let next = 0;
    let mode: 'pending' | 'fail' | 'ok' = 'pending';
    const guarded = circuit(
      async () => {
        if (mode === 'pending') return old[next++]!.promise;
        if (mode === 'fail') throw new Error('down');
        return 'ok';
      },
      { clock, failureThreshold: 1, recoveryTimeout: 1000 },
    );
    const closedEra = old.map(() => guarded().catch(() => undefined));
    mode = 'fail';
    await guarded().catch(() => undefined);
    expect(guarded.breaker.state).toBe('open');
    old.slice(0, 50).forEach((d) => d.resolve('late success'));
    await flush();
    expect(guarded.breaker.state).toBe('open'); // late successes from the closed era do not close it
    clock.advance(1000);
    mode = 'ok';
    await guarded();
    expect(guarded.breaker.state).toBe('closed');
    old.slice(50).forEach((d) => d.reject(new Error('late failure')));
    await Promise.all(closedEra);
    expect(guarded.breaker.state).toBe('closed'); // late failures from before the trip do not count
    expect(guarded.breaker.consecutiveFailures).toBe(0);
  });
});

describe('listeners at scale', () => {
  it('a thousand listeners of one event each run once per call, and removing each one leaves none running', async () => {
    const guarded = circuit(async () => 1);
    let calls = 0;
    const offs = Array.from({ length: 1000 }, () => guarded.breaker.on('success', () => (calls += 1)));
    await guarded();
    expect(calls).toBe(1000);
    offs.forEach((off) => off());
    offs[0]!(); // a second removal of one listener takes nothing else with it
    await guarded();
    expect(calls).toBe(1000);
  });
});
