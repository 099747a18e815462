import { describe, expect, it } from 'vitest';
import { exponentialBackoff } from 'circuitry';
import { driven } from '../helpers/drive.js';

describe('exponentialBackoff', () => {
  it('grows by the multiplier per opening up to the cap', () => {
    const backoff = exponentialBackoff({ initial: 100, max: 1000, multiplier: 3 });
    expect([1, 2, 3, 4, 5].map(backoff)).toEqual([100, 300, 900, 1000, 1000]);
  });

  it('keeps jitter within its documented bounds', () => {
    const low = () => 0;
    const high = () => 0.999999;
    const full = (random: () => number) => exponentialBackoff({ initial: 1000, max: 8000, jitter: 'full', random });
    const equal = (random: () => number) => exponentialBackoff({ initial: 1000, max: 8000, jitter: 'equal', random });
    expect(full(low)(3)).toBe(1); // never 0: a circuit is always open for a moment
    expect(full(high)(3)).toBeCloseTo(4000, 0);
    expect(equal(low)(3)).toBe(2000);
    expect(equal(high)(3)).toBeCloseTo(4000, 0);
    for (let i = 0; i < 200; i++) {
      const d = exponentialBackoff({ initial: 1000, max: 8000, jitter: 'equal' })(2);
      expect(d).toBeGreaterThanOrEqual(1000);
      expect(d).toBeLessThanOrEqual(2000);
    }
  });

  it('drives a breaker: longer after each failed trial, back to the start after a close', async () => {
    const d = driven({ failureThreshold: 1, recoveryTimeout: exponentialBackoff({ initial: 100, max: 10_000 }) });
    await d.run('fail');
    expect(d.breaker.retryAfter).toBe(100);
    d.clock.advance(100);
    await d.run('fail'); // the trial fails: second opening
    expect(d.breaker.retryAfter).toBe(200);
    d.clock.advance(200);
    await d.run('fail');
    expect(d.breaker.retryAfter).toBe(400);
    d.clock.advance(400);
    await d.run('ok');
    expect(d.breaker.state).toBe('closed');
    await d.run('fail');
    expect(d.breaker.retryAfter).toBe(100);
  });

  it('reports a recoveryTimeout function that fails, and stays open 30 s instead', async () => {
    const reports: unknown[][] = [];
    const d = driven({ failureThreshold: 1, recoveryTimeout: () => Number.NaN, reportError: (...a) => reports.push(a) });
    await d.run('fail');
    expect(d.breaker.retryAfter).toBe(30_000);
    expect(reports[0]![1]).toBe('recoveryTimeout');
    expect(String(reports[0]![0])).toBe('RangeError: recoveryTimeout(1) must return a positive finite number of milliseconds, got NaN');
  });

  it('refuses bad options', () => {
    expect(() => exponentialBackoff({ initial: 0, max: 10 })).toThrow(new RangeError('initial must be a positive finite number of milliseconds, got 0'));
    expect(() => exponentialBackoff({ initial: 100, max: 10 })).toThrow(new RangeError('max must be at least initial (100), got 10'));
    expect(() => exponentialBackoff({ initial: 1, max: 10, multiplier: 0.5 })).toThrow(RangeError);
    expect(() => exponentialBackoff({ initial: 1, max: 10, jitter: 'half' as never })).toThrow(TypeError);
  });
});
