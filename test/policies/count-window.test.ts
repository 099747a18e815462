import { describe, expect, it } from 'vitest';
import { countWindow } from 'circuitry';
import { driven } from '../helpers/drive.js';

const times = (n: number, outcome: 'ok' | 'fail') => Array.from({ length: n }, () => outcome);

describe('countWindow', () => {
  it('opens when the failure rate reaches the threshold exactly, once minimumCalls were seen', async () => {
    const d = driven({ policy: countWindow({ size: 10, failureRate: 0.5, minimumCalls: 10 }) });
    await d.run(...times(5, 'fail'), ...times(4, 'ok'));
    expect(d.breaker.state).toBe('closed'); // 9 calls: below minimumCalls
    await d.run('ok');
    expect(d.breaker.state).toBe('open'); // 5 of 10 failed: exactly 50%
  });

  it('stays closed below the threshold', async () => {
    const d = driven({ policy: countWindow({ size: 10, failureRate: 0.5, minimumCalls: 10 }) });
    await d.run(...times(4, 'fail'), ...times(6, 'ok'));
    expect(d.breaker.state).toBe('closed');
  });

  it('does not open before minimumCalls, however bad the rate', async () => {
    const d = driven({ policy: countWindow({ size: 100, failureRate: 0.2, minimumCalls: 5 }) });
    await d.run(...times(4, 'fail'));
    expect(d.breaker.state).toBe('closed');
    await d.run('ok');
    expect(d.breaker.state).toBe('open');
  });

  it('forgets outcomes that slide out of the window', async () => {
    const d = driven({ policy: countWindow({ size: 4, failureRate: 0.75, minimumCalls: 4 }) });
    await d.run('fail', 'fail', 'ok', 'ok', 'ok', 'fail', 'fail');
    // The window now holds ok, ok, fail, fail: 50%.
    expect(d.breaker.state).toBe('closed');
    await d.run('fail');
    expect(d.breaker.state).toBe('open');
  });

  it('works with a window of one call', async () => {
    const d = driven({ policy: countWindow({ size: 1, failureRate: 1, minimumCalls: 1 }) });
    await d.run('ok', 'ok');
    expect(d.breaker.state).toBe('closed');
    await d.run('fail');
    expect(d.breaker.state).toBe('open');
  });

  it('counts slow calls toward slowCallRate without failing them', async () => {
    const d = driven({ policy: countWindow({ size: 4, slowCallRate: 0.5, minimumCalls: 4 }), slowCallDuration: 100 });
    await expect(d.guarded('ok', 150)).resolves.toBe('ok');
    await d.guarded('ok', 99);
    await d.guarded('ok', 10);
    expect(d.breaker.state).toBe('closed');
    await expect(d.guarded('ok', 100)).resolves.toBe('ok'); // exactly slowCallDuration is slow
    expect(d.breaker.state).toBe('open');
  });

  it('counts a slow call that fails as both slow and failed', async () => {
    const d = driven({ policy: countWindow({ size: 2, failureRate: 1, slowCallRate: 1, minimumCalls: 2 }), slowCallDuration: 50 });
    await d.guarded('fail', 60).catch(() => undefined);
    await d.guarded('ok', 60);
    // Failure rate 1/2 and slow rate 2/2: the slow rate opens it.
    expect(d.breaker.state).toBe('open');
  });

  it('starts with an empty window after the circuit closes again', async () => {
    const d = driven({ policy: countWindow({ size: 4, failureRate: 0.5, minimumCalls: 4 }) });
    await d.run('fail', 'fail', 'ok', 'ok');
    expect(d.breaker.state).toBe('open');
    d.clock.advance(1000);
    await d.run('ok');
    expect(d.breaker.state).toBe('closed');
    await d.run('fail', 'fail', 'fail');
    expect(d.breaker.state).toBe('closed'); // 3 calls: below minimumCalls again
  });

  it('saves a partly filled window oldest first, and a restored window lets its outcomes slide out', () => {
    const policy = countWindow({ size: 4, failureRate: 0.5, minimumCalls: 2 })();
    policy.onFailure(false, () => 0);
    expect(policy.snapshot!()).toEqual({ outcomes: [1] });
    policy.onSuccess(true, () => 0);
    expect(policy.snapshot!()).toEqual({ outcomes: [1, 2] });

    const full = countWindow({ size: 2, failureRate: 0.5, minimumCalls: 2 })();
    full.restore!({ outcomes: [1, 3] });
    expect(full.stats!(() => 0)).toEqual({ calls: 2, failures: 2, slowCalls: 1 });
    expect(full.onSuccess(false, () => 0)).toBe(true); // 1 failure of 2
    expect(full.onSuccess(false, () => 0)).toBe(false); // both restored outcomes have left
    expect(full.stats!(() => 0)).toEqual({ calls: 2, failures: 0, slowCalls: 0 });
  });

  it('restores slow outcomes (2, and 3 for slow and failed) and refuses any other value', () => {
    const policy = countWindow({ size: 4, failureRate: 1, slowCallRate: 0.5, minimumCalls: 2 })();
    policy.restore!({ outcomes: [0, 2, 3] });
    expect(policy.stats!(() => 0)).toEqual({ calls: 3, failures: 1, slowCalls: 2 });
    for (const outcomes of [[4], [0, -1], [1.5], ['1'], [0, 0, 0, 0, 0]]) {
      expect(() => policy.restore!({ outcomes }), JSON.stringify(outcomes)).toThrow(/^countWindow snapshot outcomes must be an array of at most 4 values 0 to 3, got /);
    }
  });

  it('refuses bad options with the option and the value', () => {
    expect(() => countWindow({ size: 1_000_001 })).toThrow(new RangeError('size must be an integer from 1 to 1,000,000, got 1000001'));
    expect(countWindow({ size: 1_000_000 })().stats!(() => 0).calls).toBe(0);
    expect(() => countWindow({ size: 10, slowCallRate: 0 })).toThrow(new RangeError('slowCallRate must be a rate above 0 and at most 1, got 0'));
    expect(() => countWindow({ size: 0 })).toThrow(new RangeError('size must be an integer from 1 to 1,000,000, got 0'));
    expect(() => countWindow({ size: 10, failureRate: 0 })).toThrow(new RangeError('failureRate must be a rate above 0 and at most 1, got 0'));
    expect(() => countWindow({ size: 10, failureRate: 1.5 })).toThrow(RangeError);
    expect(() => countWindow({ size: 10, slowCallRate: '0.5' as never })).toThrow(TypeError);
    expect(() => countWindow({ size: 10, minimumCalls: 11 })).toThrow(new RangeError('minimumCalls must be an integer from 1 to 10, got 11'));
    expect(() => countWindow({ size: 10, window: 5 } as never)).toThrow(new TypeError('unknown countWindow option "window"'));
    expect(() => countWindow(undefined as never)).toThrow(new TypeError('countWindow options must be an object, got undefined'));
  });
});
