import { CircuitBreaker, circuit, circuitSync } from 'circuitry';
import { describe, expect, it } from 'vitest';
import { driven } from '../helpers/drive.js';
import { manualClock } from '../helpers/manual-clock.js';

describe('shadow: judges, refuses nothing', () => {
  it('opens as it would, but runs every call, counting those it would have rejected', async () => {
    const d = driven({ failureThreshold: 2, shadow: true });
    const events: string[] = [];
    d.breaker.on('stateChange', ({ from, to }) => events.push(`${from}->${to}`));
    d.breaker.on('rejected', () => events.push('rejected'));
    await d.run('fail', 'fail');
    expect(d.breaker.state).toBe('open');
    expect(await d.guarded('ok')).toBe('ok');
    expect(await d.guarded('ok')).toBe('ok');
    expect(d.breaker.stats()).toMatchObject({ state: 'open', shadow: true, wouldReject: 2, rejections: 0, successes: 2, failures: 2, retryAfter: 1000 });
    expect(events).toEqual(['closed->open']);
  });

  it('does not let the calls it would have rejected move the state: only the trials do', async () => {
    const d = driven({ failureThreshold: 1, shadow: true });
    await d.run('fail');
    await d.run('ok', 'ok');
    expect(d.breaker.state).toBe('open');
    d.clock.advance(1000);
    await d.run('ok');
    expect(d.breaker.state).toBe('closed');
  });

  it('never counts a would-be rejection against the state, even one that fails after the circuit closed again', async () => {
    const clock = manualClock();
    const pending: { reject: (error: unknown) => void }[] = [];
    let hold = false;
    const call = circuit(
      (outcome: 'ok' | 'fail') =>
        hold ? new Promise((_, reject) => pending.push({ reject })) : outcome === 'ok' ? Promise.resolve('ok') : Promise.reject(new Error('down')),
      { clock, shadow: true, failureThreshold: 1, recoveryTimeout: 1000 },
    );
    await call('fail').catch(() => undefined);
    expect(call.breaker.state).toBe('open');
    hold = true;
    const wouldBeRejected = call('ok').catch(() => undefined);
    hold = false;
    clock.advance(1000);
    expect(await call('ok')).toBe('ok');
    expect(call.breaker.state).toBe('closed');
    pending[0]!.reject(new Error('late'));
    await wouldBeRejected;
    expect(call.breaker.state).toBe('closed');
    expect(call.breaker.stats()).toMatchObject({ wouldReject: 1, failures: 2 });
  });

  it('runs no fallback for a call it would have rejected', async () => {
    const clock = manualClock();
    const served: unknown[] = [];
    const call = circuit(async () => 'real', { clock, shadow: true, fallback: (error) => (served.push(error), 'fallback') });
    call.breaker.open();
    expect(await call()).toBe('real');
    expect(served).toEqual([]);
  });

  it('lets calls through while isolated, and stays isolated', async () => {
    const d = driven({ shadow: true });
    d.breaker.isolate();
    expect(await d.guarded('ok')).toBe('ok');
    expect(d.breaker.state).toBe('isolated');
    expect(d.breaker.stats().wouldReject).toBe(1);
  });

  it('is switched at run time by configure: off, it refuses again, on the state judged meanwhile', async () => {
    const d = driven({ failureThreshold: 1, shadow: true });
    await d.run('fail');
    expect(await d.guarded('ok')).toBe('ok');
    d.breaker.configure({ shadow: false });
    expect(d.breaker.stats().shadow).toBe(false);
    await expect(d.guarded('ok')).rejects.toMatchObject({ name: 'CircuitOpenError' });
    expect(d.breaker.stats()).toMatchObject({ rejections: 1, wouldReject: 1 });
    d.breaker.configure({ shadow: true });
    expect(await d.guarded('ok')).toBe('ok');
  });

  it('lets a circuitSync call through too, and refuses a shadow option that is not a boolean', () => {
    const clock = manualClock();
    const double = circuitSync((n: number) => n * 2, { clock, shadow: true });
    double.breaker.open();
    expect(double(21)).toBe(42);
    expect(double.breaker.stats().wouldReject).toBe(1);
    expect(() => new CircuitBreaker({ shadow: 'on' as never })).toThrow(new TypeError('shadow must be a boolean, got "on" (a string)'));
  });
});
