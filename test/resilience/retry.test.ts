import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CircuitBreaker, CircuitOpenError, callSignal, circuit, exponentialBackoff, retry } from 'circuitry';
import type { RetryInfo } from 'circuitry';

class Transient extends Error {}
class Fatal extends Error {}

/** A function failing `failures` times (with `make()`), then returning 'ok'; counts its calls. */
function flaky(failures: number, make: () => unknown = () => new Transient('blip')) {
  const calls: number[] = [];
  const fn = async (id: string) => {
    calls.push(Date.now());
    if (calls.length <= failures) throw make();
    return `ok:${id}`;
  };
  return { fn, calls };
}

beforeEach(() => {
  vi.useFakeTimers({ now: 0 });
});
afterEach(() => {
  // No timer outlives a settled retry, in any of these tests.
  expect(vi.getTimerCount()).toBe(0);
  vi.useRealTimers();
});

describe('retry', () => {
  it('tries again after a fixed wait and returns the first success', async () => {
    const f = flaky(2);
    const infos: RetryInfo[] = [];
    const get = retry(f.fn, { attempts: 3, wait: 100, onRetry: (info) => infos.push(info) });
    const result = get('7');
    await vi.advanceTimersByTimeAsync(99);
    expect(f.calls).toEqual([0]);
    await vi.advanceTimersByTimeAsync(1);
    expect(f.calls).toEqual([0, 100]);
    await vi.advanceTimersByTimeAsync(100);
    await expect(result).resolves.toBe('ok:7');
    expect(f.calls).toEqual([0, 100, 200]);
    expect(infos.map(({ attempt, delay }) => [attempt, delay])).toEqual([
      [1, 100],
      [2, 100],
    ]);
    expect(infos[0]!.error).toBeInstanceOf(Transient);
  });

  it('gives the caller the last error itself, with its attempts recorded', async () => {
    const errors: Transient[] = [];
    const f = flaky(10, () => {
      errors.push(new Transient(`blip ${errors.length + 1}`));
      return errors.at(-1);
    });
    const get = retry(f.fn, { attempts: 3, wait: 10 });
    const outcome = get('x').catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(100);
    const error = (await outcome) as Transient & { attempts: number };
    expect(error).toBe(errors[2]);
    expect(error.attempts).toBe(3);
  });

  it('waits as a function of the retry number says (exponential, capped)', async () => {
    const f = flaky(4);
    const get = retry(f.fn, { attempts: 5, wait: exponentialBackoff({ initial: 100, max: 300 }) });
    const result = get('x');
    await vi.advanceTimersByTimeAsync(10_000);
    await expect(result).resolves.toBe('ok:x');
    expect(f.calls).toEqual([0, 100, 300, 600, 900]);
  });

  it('asks wait and retryOn only about retries that will happen, never after the last attempt', async () => {
    // cockatiel's iterable backoff, [10, 20, 20] for four attempts: a fourth delay does not exist.
    const delays = [10, 20, 20];
    const asked: number[] = [];
    const judged: unknown[] = [];
    const reportError = vi.fn();
    const f = flaky(10);
    const get = retry(f.fn, {
      attempts: 4,
      wait: (n) => {
        asked.push(n);
        return delays[n - 1]!;
      },
      retryOn: (error) => {
        judged.push(error);
        return true;
      },
      reportError,
    });
    const outcome = get('x').catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(((await outcome) as { attempts: number }).attempts).toBe(4);
    expect(f.calls).toEqual([0, 10, 30, 50]);
    expect(asked).toEqual([1, 2, 3]);
    expect(judged).toHaveLength(3);
    expect(reportError).not.toHaveBeenCalled();
  });

  it('stops when the next attempt would start after maxElapsed', async () => {
    const f = flaky(10);
    const get = retry(f.fn, { attempts: 100, wait: 400, maxElapsed: 1000 });
    const outcome = get('x').catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(5000);
    expect(((await outcome) as { attempts: number }).attempts).toBe(3); // at 0, 400, 800; 1200 is too late
    expect(f.calls).toEqual([0, 400, 800]);
  });

  it('retries only the errors retryOn names', async () => {
    const f = flaky(5, () => new Fatal('no'));
    const get = retry(f.fn, { attempts: 3, wait: 10, retryOn: Transient });
    await expect(get('x')).rejects.toMatchObject({ message: 'no', attempts: 1 });
    expect(f.calls).toHaveLength(1);
  });

  it('retries results retryOnResult rejects, and returns the last one when attempts run out', async () => {
    let status = 503;
    const statuses: number[] = [];
    const get = retry(
      async () => {
        statuses.push(status);
        return { status };
      },
      { attempts: 3, wait: 10, retryOnResult: (r) => r.status >= 500 },
    );
    const first = get();
    await vi.advanceTimersByTimeAsync(100);
    await expect(first).resolves.toEqual({ status: 503 });
    expect(statuses).toEqual([503, 503, 503]);
    status = 200;
    await expect(get()).resolves.toEqual({ status: 200 });
  });

  it('stops waiting at once when its signal aborts, with the signal\'s reason', async () => {
    const controller = new AbortController();
    const f = flaky(10);
    const get = retry(f.fn, { attempts: 5, wait: 10_000, signal: controller.signal });
    const outcome = get('x').catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(50);
    const reason = new Error('shutting down');
    controller.abort(reason);
    expect(await outcome).toBe(reason);
    expect(f.calls).toHaveLength(1);
  });

  it('takes a signal per call from the arguments, and hands it to the attempts', async () => {
    const seen: AbortSignal[] = [];
    const get = retry(
      async (_id: string, _options: { signal: AbortSignal }) => {
        seen.push(callSignal());
        throw new Transient('blip');
      },
      { attempts: 5, wait: 100, signal: (_id, options) => options.signal },
    );
    const controller = new AbortController();
    const outcome = get('x', { signal: controller.signal }).catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(0);
    controller.abort(new Error('caller gave up'));
    expect(((await outcome) as Error).message).toBe('caller gave up');
    expect(seen).toHaveLength(1);
    expect(seen[0]!.aborted).toBe(true);
  });

  it('rejects with the reason when the signal aborts during a call, and tries no more', async () => {
    const controller = new AbortController();
    let calls = 0;
    const get = retry(
      async () => {
        calls += 1;
        controller.abort(new Error('aborted mid-call'));
        throw new Transient('blip');
      },
      { attempts: 5, wait: 10, signal: controller.signal },
    );
    await expect(get()).rejects.toThrow('aborted mid-call');
    expect(calls).toBe(1);
  });

  it('refuses to start with an aborted signal', async () => {
    const f = flaky(0);
    await expect(retry(f.fn, { signal: AbortSignal.abort(new Error('already')) })('x')).rejects.toThrow('already');
    expect(f.calls).toHaveLength(0);
  });

  it('reports a throwing onRetry and carries on', async () => {
    const reports: string[] = [];
    const f = flaky(1);
    const get = retry(f.fn, {
      wait: 5,
      onRetry: () => {
        throw new Error('log broke');
      },
      reportError: (_e, source) => reports.push(source),
    });
    const result = get('x');
    await vi.advanceTimersByTimeAsync(5);
    await expect(result).resolves.toBe('ok:x');
    expect(reports).toEqual(['onRetry']);
  });
});

describe('retry and an open circuit', () => {
  it('waits the circuit\'s retryAfter when it fits the budget, then goes through', async () => {
    const breaker = new CircuitBreaker({ recoveryTimeout: 2000, registry: false });
    const f = flaky(0);
    const guarded = circuit(f.fn, breaker);
    breaker.open();
    const get = retry(guarded, { attempts: 3, maxElapsed: 5000 });
    const result = get('x');
    await vi.advanceTimersByTimeAsync(1999);
    expect(f.calls).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    await expect(result).resolves.toBe('ok:x');
    expect(f.calls).toEqual([2000]);
  });

  it('gives up at once when retryAfter does not fit what is left', async () => {
    const breaker = new CircuitBreaker({ recoveryTimeout: 60_000, registry: false });
    const guarded = circuit(flaky(0).fn, breaker);
    breaker.open();
    const outcome = await retry(guarded, { attempts: 3, maxElapsed: 5000 })('x').catch((e: unknown) => e);
    expect(outcome).toBeInstanceOf(CircuitOpenError);
    expect((outcome as { attempts: number }).attempts).toBe(1);
  });

  it('gives up at once on an isolated circuit, and when retryOn leaves open circuits out', async () => {
    const breaker = new CircuitBreaker({ registry: false });
    const guarded = circuit(flaky(0).fn, breaker);
    breaker.isolate();
    await expect(retry(guarded, { attempts: 3 })('x')).rejects.toMatchObject({ name: 'CircuitIsolatedError', attempts: 1 });
    breaker.open();
    await expect(retry(guarded, { attempts: 3, retryOn: Transient })('x')).rejects.toMatchObject({ name: 'CircuitOpenError', attempts: 1 });
  });
});

describe('retry options', () => {
  it('refuses bad options, naming them', () => {
    const fn = async () => 1;
    expect(() => retry(fn, { attempts: 0 })).toThrow(new RangeError('attempts must be a positive integer, got 0'));
    expect(() => retry(fn, { wait: -1 })).toThrow(RangeError);
    expect(() => retry(fn, { maxElapsed: Infinity })).toThrow(RangeError);
    expect(() => retry(fn, { signal: 'stop' as never })).toThrow(TypeError);
    expect(() => retry(fn, { retryOn: 'Error' as never })).toThrow(TypeError);
    expect(() => retry(fn, { attemps: 2 } as never)).toThrow(new TypeError('unknown retry option "attemps"'));
  });

  it('keeps the name, length and this of the function', async () => {
    const target = {
      base: 2,
      add: retry(async function addTo(this: { base: number }, n: number) {
        return this.base + n;
      }),
    };
    await expect(target.add(3)).resolves.toBe(5);
    expect(target.add.name).toBe('addTo');
    expect(target.add.length).toBe(1);
  });
});

describe('retry without a signal', () => {
  it('still gives its attempts a signal to hand on, one that never aborts', async () => {
    let seen: AbortSignal | undefined;
    await retry(async () => {
      seen = callSignal();
      return 1;
    })();
    expect(seen).toBeInstanceOf(AbortSignal);
    expect(seen!.aborted).toBe(false);
  });
});
