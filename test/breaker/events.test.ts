import { describe, expect, it, vi } from 'vitest';
import { CircuitBreaker, CircuitOpenError, circuit } from 'circuitry';
import type { CircuitEvents } from 'circuitry';
import { driven } from '../helpers/drive.js';

class Ignored extends Error {}

describe('breaker.on()', () => {
  it('emits success and failure with durations on the breaker clock', async () => {
    const d = driven({ failureThreshold: 5 });
    const successes: CircuitEvents['success'][] = [];
    const failures: CircuitEvents['failure'][] = [];
    d.breaker.on('success', (e) => successes.push(e));
    d.breaker.on('failure', (e) => failures.push(e));
    await d.guarded('ok', 25);
    await d.guarded('fail', 40).catch(() => undefined);
    expect(successes).toEqual([{ duration: 25, weight: 1 }]);
    expect(failures).toHaveLength(1);
    expect(failures[0]!.duration).toBe(40);
    expect((failures[0]!.error as Error).message).toBe('failed');
  });

  it('reports a call that spanned a backwards step of the clock as taking 0 ms, not a negative time', async () => {
    const d = driven({ failureThreshold: 5 });
    const durations: number[] = [];
    d.breaker.on('success', (e) => durations.push(e.duration));
    d.breaker.on('failure', (e) => durations.push(e.duration));
    await d.guarded('ok', -60_000);
    await d.guarded('fail', -5).catch(() => undefined);
    expect(durations).toEqual([0, 0]);
  });

  it('emits open, halfOpen, close and stateChange with where they came from', async () => {
    const d = driven({ failureThreshold: 1 });
    const seen: unknown[] = [];
    for (const event of ['open', 'close', 'halfOpen', 'stateChange'] as const) {
      d.breaker.on(event, (payload) => seen.push([event, payload]));
    }
    await d.run('fail');
    d.clock.advance(1000);
    await d.run('ok');
    expect(seen).toEqual([
      ['open', { from: 'closed', cause: expect.objectContaining({ message: 'failed' }) }],
      ['stateChange', { from: 'closed', to: 'open' }],
      ['halfOpen', { from: 'open' }],
      ['stateChange', { from: 'open', to: 'half-open' }],
      ['close', { from: 'half-open' }],
      ['stateChange', { from: 'half-open', to: 'closed' }],
    ]);
  });

  it('emits rejected with the error the caller gets, and fallback with what the fallback got', async () => {
    const breaker = new CircuitBreaker({ failureThreshold: 1 });
    const guarded = circuit(async () => {
      throw new Error('down');
    }, { breaker, fallback: () => 'cold' });
    const rejected: CircuitEvents['rejected'][] = [];
    const fallbacks: CircuitEvents['fallback'][] = [];
    breaker.on('rejected', (e) => rejected.push(e));
    breaker.on('fallback', (e) => fallbacks.push(e));
    await guarded();
    await guarded();
    expect(rejected).toHaveLength(1);
    expect(rejected[0]!.error).toBeInstanceOf(CircuitOpenError);
    expect(fallbacks.map((f) => (f.error as Error).name)).toEqual(['Error', 'CircuitOpenError']);
    expect(fallbacks[1]!.error).toBe(rejected[0]!.error);
  });

  it('emits ignored for errors expectedError does not count', async () => {
    const d = driven({ expectedError: (e) => !(e instanceof Ignored) });
    const ignored: CircuitEvents['ignored'][] = [];
    d.breaker.on('ignored', (e) => ignored.push(e));
    const guarded = circuit(async () => {
      throw new Ignored('not ours');
    }, d.breaker);
    await guarded().catch(() => undefined);
    expect(ignored).toHaveLength(1);
    expect(ignored[0]!.error).toBeInstanceOf(Ignored);
    expect(ignored[0]!.duration).toBe(0);
  });

  it('stops calling a listener once unsubscribed, and measures time only while someone listens', async () => {
    const d = driven();
    const listener = vi.fn();
    const off = d.breaker.on('success', listener);
    await d.guarded('ok');
    off();
    off();
    const reads = d.clock.reads;
    await d.guarded('ok');
    expect(listener).toHaveBeenCalledTimes(1);
    expect(d.clock.reads).toBe(reads);
  });

  it('contains a throwing listener: reported under the event name, other listeners still run', async () => {
    const reports: unknown[][] = [];
    const d = driven({ reportError: (...args) => reports.push(args) });
    const after = vi.fn();
    const oops = new Error('listener broke');
    d.breaker.on('success', () => {
      throw oops;
    });
    d.breaker.on('success', after);
    await expect(d.guarded('ok')).resolves.toBe('ok');
    expect(after).toHaveBeenCalledTimes(1);
    expect(reports).toEqual([[oops, 'success', d.breaker.name]]);
  });

  it('refuses unknown events and listeners that are not functions', () => {
    const breaker = new CircuitBreaker();
    expect(() => breaker.on('opened' as never, () => undefined)).toThrow(
      new TypeError('event must be one of open, close, halfOpen, stateChange, success, failure, rejected, fallback, ignored, aborted, storeDown, storeUp, got "opened" (a string)'),
    );
    expect(() => breaker.on('open', 'log' as never)).toThrow(new TypeError('listener must be a function, got "log" (a string)'));
  });
});
