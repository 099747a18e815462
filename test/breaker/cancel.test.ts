// A caller's cancellation: one `signal` option for circuit, circuitSync, timeout, retry and the
// decorators, and `execute(fn, { signal })`. The caller is let go at once; the breaker judges the
// call when the function settles, and counts one stopped by the abort as aborted.
import { afterEach, beforeEach, describe, expect, expectTypeOf, it, vi } from 'vitest';
import { CircuitBreaker, CircuitRegistry, TimeoutError, bulkhead, callSignal, circuit, circuitSync, retry, timeout } from 'circuitry';
import type { CircuitEvents, CircuitStats } from 'circuitry';
import { toPrometheus } from 'circuitry/prometheus';
import { deferred, flush } from '../helpers/manual-clock.js';

beforeEach(() => {
  vi.useFakeTimers({ now: 0 });
});
afterEach(() => {
  vi.useRealTimers();
});

/** A call that finishes after `ms`, or rejects with its signal's reason the moment it aborts. */
function cooperative(ms: number) {
  return (id: string, _options?: { signal?: AbortSignal }): Promise<string> => {
    const signal = callSignal();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => resolve(`done:${id}`), ms);
      signal.addEventListener('abort', () => {
        clearTimeout(timer);
        reject(signal.reason);
      });
    });
  };
}

/** A dependency that hangs and ignores every signal. */
const hangs = (): Promise<string> => new Promise(() => undefined);

const totalCalls = (s: CircuitStats) => s.successes + s.failures + s.rejections + s.ignored + s.aborted;

describe('circuit(fn, { signal })', () => {
  it("rejects at once with the signal's reason, aborts callSignal(), and counts the call as aborted, not as a failure", async () => {
    const aborted: CircuitEvents['aborted'][] = [];
    const get = circuit(cooperative(1_000), { registry: false, signal: (_id, options) => options?.signal });
    get.breaker.on('aborted', (e) => aborted.push(e));
    const controller = new AbortController();
    const call = get('a', { signal: controller.signal });
    const reason = new Error('client went away');
    controller.abort(reason);
    await expect(call).rejects.toBe(reason);
    expect(get.breaker.stats()).toMatchObject({ successes: 0, failures: 0, ignored: 0, aborted: 1 });
    expect(aborted).toEqual([{ error: reason, duration: 0, weight: 1 }]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('counts an abort under retry as aborted: the issue\'s retry(circuit(work), { signal }) no longer trips the circuit', async () => {
    const guarded = circuit(cooperative(1_000), { registry: false, failureThreshold: 1 });
    const controller = new AbortController();
    const call = retry(guarded, { attempts: 1, signal: () => controller.signal })('a');
    controller.abort();
    await expect(call).rejects.toMatchObject({ name: 'AbortError' });
    expect(guarded.breaker.stats()).toMatchObject({ failures: 0, ignored: 0, aborted: 1 });
    expect(guarded.breaker.state).toBe('closed');
  });

  it('counts an AbortError of the function\'s own (a library that makes its own) as aborted too', async () => {
    const get = circuit(
      (_caller: AbortSignal) => {
        const signal = callSignal();
        return new Promise((_, reject) => signal.addEventListener('abort', () => reject(new DOMException('stopped', 'AbortError'))));
      },
      { registry: false, signal: (s: AbortSignal) => s },
    );
    const controller = new AbortController();
    const call = get(controller.signal);
    controller.abort(new Error('bye'));
    await expect(call).rejects.toThrow('bye');
    await flush();
    expect(get.breaker.stats()).toMatchObject({ failures: 0, aborted: 1 });
  });

  it('does not run a call whose signal has aborted already, and counts it as aborted even while open', async () => {
    const fn = vi.fn(async (_caller: AbortSignal) => 'x');
    const breaker = new CircuitBreaker({ registry: false });
    const get = circuit(fn, { breaker, signal: (s: AbortSignal) => s });
    const gone = AbortSignal.abort(new Error('already gone'));
    await expect(get(gone)).rejects.toThrow('already gone');
    breaker.open();
    await expect(get(gone)).rejects.toThrow('already gone');
    expect(fn).not.toHaveBeenCalled();
    expect(breaker.stats()).toMatchObject({ aborted: 2, rejections: 0 });
  });

  it('holds a trial slot until the function really settles, and lets that outcome decide', async () => {
    const gate = deferred<string>();
    let calls = 0;
    const get = circuit(
      async (_signal: AbortSignal) => {
        calls += 1;
        if (calls === 1) throw new Error('down');
        return gate.promise;
      },
      { registry: false, failureThreshold: 1, recoveryTimeout: 1_000, halfOpenMaxCalls: 1, signal: (s) => s },
    );
    await get(new AbortController().signal).catch(() => undefined);
    vi.advanceTimersByTime(1_000);
    const caller = new AbortController();
    const trial = get(caller.signal);
    caller.abort(new Error('impatient'));
    await expect(trial).rejects.toThrow('impatient');
    // The trial still runs: its slot is taken, so the next caller is refused, not let through.
    await expect(get(new AbortController().signal)).rejects.toMatchObject({ code: 'CIRCUITRY_OPEN', state: 'half-open' });
    gate.resolve('back');
    await flush();
    expect(get.breaker.state).toBe('closed');
    expect(get.breaker.stats()).toMatchObject({ successes: 1, failures: 1, rejections: 1, aborted: 0 });
  });

  it('an aborted trial keeps its slot until the function settles, then frees it for the next trial', async () => {
    let calls = 0;
    const get = circuit(
      (_signal: AbortSignal) => {
        calls += 1;
        if (calls === 1) return Promise.reject(new Error('down'));
        const signal = callSignal();
        return new Promise((resolve, reject) => {
          if (calls === 2) signal.addEventListener('abort', () => setTimeout(() => reject(signal.reason), 500));
          else resolve('back');
        });
      },
      { registry: false, failureThreshold: 1, recoveryTimeout: 1_000, halfOpenMaxCalls: 1, signal: (s) => s },
    );
    await get(new AbortController().signal).catch(() => undefined);
    vi.advanceTimersByTime(1_000);
    const caller = new AbortController();
    const trial = get(caller.signal);
    caller.abort(new Error('impatient'));
    await expect(trial).rejects.toThrow('impatient');
    await expect(get(new AbortController().signal)).rejects.toMatchObject({ code: 'CIRCUITRY_OPEN', state: 'half-open' });
    vi.advanceTimersByTime(500);
    await flush();
    expect(get.breaker.stats()).toMatchObject({ aborted: 1, successes: 0 });
    expect(get.breaker.state).toBe('half-open');
    expect(await get(new AbortController().signal)).toBe('back');
    expect(get.breaker.state).toBe('closed');
  });

  it('tells an aborted listener how long an admitted call ran, and a call never run took 0 ms, each weighing one call', async () => {
    const aborted: CircuitEvents['aborted'][] = [];
    const get = circuit(cooperative(1_000), { registry: false, signal: (_id, options) => options?.signal });
    get.breaker.on('aborted', (e) => aborted.push(e));
    const controller = new AbortController();
    const call = get('a', { signal: controller.signal });
    vi.advanceTimersByTime(250);
    const reason = new Error('client went away');
    controller.abort(reason);
    await expect(call).rejects.toBe(reason);
    await expect(get('b', { signal: controller.signal })).rejects.toBe(reason);
    expect(aborted).toEqual([
      { error: reason, duration: 250, weight: 1 },
      { error: reason, duration: 0, weight: 1 },
    ]);
  });

  it('still trips on a dependency that hangs behind callers whose deadline is shorter than the breaker\'s timeout', async () => {
    const fallback = vi.fn(() => 'cached');
    const get = circuit(hangs, { registry: false, timeout: 500, failureThreshold: 3, fallback, signal: () => AbortSignal.timeout(100) });
    const calls = [get(), get(), get()].map((p) => p.catch((e: unknown) => e));
    await vi.advanceTimersByTimeAsync(100);
    // Each caller is let go at its own deadline, with its signal's reason.
    for (const call of calls) expect(await call).toMatchObject({ name: 'TimeoutError' });
    expect(get.breaker.state).toBe('closed');
    await vi.advanceTimersByTimeAsync(400);
    // The breaker's own timeout judged the calls it still held: three failures, three timeouts.
    expect(get.breaker.state).toBe('open');
    expect(get.breaker.stats()).toMatchObject({ failures: 3, timeouts: 3, aborted: 0, fallbacks: 0 });
    expect(fallback).not.toHaveBeenCalled(); // nobody was left to serve
    expect(vi.getTimerCount()).toBe(0);
  });

  it('trips too when the function stops at the abort, given a breaker timeout shorter than the callers\' deadline', async () => {
    const get = circuit(cooperative(10_000), { registry: false, timeout: 50, failureThreshold: 2, signal: () => AbortSignal.timeout(100) });
    const calls = [get('a'), get('b')].map((p) => p.catch((e: unknown) => e));
    await vi.advanceTimersByTimeAsync(50);
    for (const call of calls) expect(await call).toBeInstanceOf(TimeoutError);
    expect(get.breaker.state).toBe('open');
    expect(get.breaker.stats()).toMatchObject({ failures: 2, timeouts: 2, aborted: 0 });
  });

  it('counts a call whose caller left as a success or a failure when the dependency answers anyway', async () => {
    const gates = [deferred<string>(), deferred<string>()];
    let i = 0;
    const get = circuit((_caller: AbortSignal) => gates[i++]!.promise, { registry: false, signal: (s: AbortSignal) => s });
    const first = new AbortController();
    const second = new AbortController();
    const calls = [get(first.signal), get(second.signal)].map((p) => p.catch((e: unknown) => e));
    first.abort();
    second.abort();
    gates[0]!.resolve('late');
    gates[1]!.reject(new Error('500'));
    await Promise.all(calls);
    await flush();
    const stats = get.breaker.stats();
    expect(stats).toMatchObject({ successes: 1, failures: 1, aborted: 0 });
    expect(totalCalls(stats)).toBe(2);
  });

  it('counts every call exactly once, whichever way it ends', async () => {
    const get = circuit(cooperative(100), { registry: false, failureThreshold: 100, signal: (_id, o) => o?.signal });
    const kept = get('a');
    const stopped = new AbortController();
    const aborted = get('b', { signal: stopped.signal }).catch(() => undefined);
    stopped.abort();
    const early = get('c', { signal: AbortSignal.abort() }).catch(() => undefined);
    await vi.advanceTimersByTimeAsync(100);
    await Promise.all([kept, aborted, early]);
    const stats = get.breaker.stats();
    expect(stats).toMatchObject({ successes: 1, aborted: 2 });
    expect(totalCalls(stats)).toBe(3);
  });

  it('takes a timeout around the circuit as the caller\'s deadline: a call it stops counts as aborted', async () => {
    const guarded = circuit(cooperative(1_000), { registry: false, failureThreshold: 1 });
    const call = timeout(guarded, 100)('a').catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(100);
    expect(await call).toBeInstanceOf(TimeoutError);
    expect(guarded.breaker.stats()).toMatchObject({ failures: 0, timeouts: 0, aborted: 1 });
    expect(guarded.breaker.state).toBe('closed');
  });

  it('costs nothing when no signal is given: the function sees one that never aborts', async () => {
    const seen: AbortSignal[] = [];
    const get = circuit(async () => seen.push(callSignal()), { registry: false, signal: () => undefined });
    await get();
    expect(seen[0]!.aborted).toBe(false);
    expect(get.breaker.stats()).toMatchObject({ successes: 1, aborted: 0 });
  });

  it('refuses a signal option that is neither a signal nor a function, and a picked value that is not a signal', async () => {
    expect(() => circuit(async () => 1, { registry: false, signal: 'soon' as never })).toThrow(/^signal must be an AbortSignal or a function returning one, got "soon"/);
    const get = circuit(async () => 1, { registry: false, signal: () => 42 as never });
    await expect(get()).rejects.toThrow(/signal\(\.\.\.\) must be an AbortSignal or undefined, got 42/);
  });

  it('keeps the guarded function\'s parameters, optional ones included: no signal argument is appended', () => {
    const get = circuit(cooperative(1), { registry: false, signal: (id, options) => (id === '' ? undefined : options?.signal) });
    expectTypeOf(get).parameters.toEqualTypeOf<[id: string, _options?: { signal?: AbortSignal }]>();
  });
});

describe('the other wrappers take the same signal', () => {
  it('execute(fn, { signal }) lets the caller go at once and counts the abort', async () => {
    const breaker = new CircuitBreaker({ registry: false });
    const controller = new AbortController();
    const call = breaker.execute(cooperative(1_000).bind(null, 'a'), { signal: controller.signal });
    controller.abort(new Error('stop'));
    await expect(call).rejects.toThrow('stop');
    await expect(breaker.execute(async () => 1, { signal: AbortSignal.abort() })).rejects.toMatchObject({ name: 'AbortError' });
    await expect(breaker.execute(async () => 2, {})).resolves.toBe(2);
    expect(breaker.stats()).toMatchObject({ successes: 1, failures: 0, aborted: 2 });
    expect(() => breaker.execute(async () => 1, { signal: 1 } as never)).toThrow(/^signal must be an AbortSignal/);
    expect(() => breaker.execute(async () => 1, { sinal: AbortSignal.abort() } as never)).toThrow('unknown execute option "sinal"');
  });

  it("refuses cockatiel's execute(fn, signal) form instead of dropping the signal", () => {
    // An AbortSignal has no own keys: read as options, it would pass as {} and cancel nothing.
    const breaker = new CircuitBreaker({ registry: false });
    const controller = new AbortController();
    expect(() => breaker.execute(async () => 1, controller.signal as never)).toThrow(
      new TypeError('execute options must be an object such as { signal }, got an AbortSignal'),
    );
    expect(breaker.stats()).toMatchObject({ successes: 0, aborted: 0 });
  });

  it('timeout(fn, { ms, signal }) lets the caller go at once, even when the function ignores the abort', async () => {
    let seen: AbortSignal | undefined;
    const get = timeout(
      (_signal: AbortSignal) => {
        seen = callSignal();
        return hangs();
      },
      { ms: 1_000, signal: (s) => s },
    );
    const controller = new AbortController();
    const call = get(controller.signal);
    controller.abort(new Error('stop'));
    await expect(call).rejects.toThrow('stop');
    expect(seen!.aborted).toBe(true);
    const fn = vi.fn(async (_signal: AbortSignal) => 1);
    await expect(timeout(fn, { ms: 10, signal: (s) => s })(AbortSignal.abort(new Error('gone')))).rejects.toThrow('gone');
    expect(fn).not.toHaveBeenCalled();
    expect(() => timeout(fn, { ms: 10, signal: 3 as never })).toThrow(/^signal must be/);
    expect(() => timeout(fn, { ms: -1 })).toThrow(/^ms must be/);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('retry lets the caller go at once, during an attempt as during a wait', async () => {
    const controller = new AbortController();
    const call = retry(hangs, { attempts: 3, signal: controller.signal })();
    controller.abort(new Error('stop'));
    await expect(call).rejects.toThrow('stop');
    let attempts = 0;
    const waiting = new AbortController();
    const failing = retry(
      async () => {
        attempts += 1;
        throw new Error('down');
      },
      { attempts: 3, wait: 10_000, signal: waiting.signal },
    )();
    await flush();
    waiting.abort(new Error('enough'));
    await expect(failing).rejects.toThrow('enough');
    expect(attempts).toBe(1);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('bulkhead lets a running call\'s caller go at once, but keeps its permit until the function settles', async () => {
    const gate = deferred<string>();
    const limited = bulkhead((_signal: AbortSignal) => gate.promise, { maxConcurrent: 1, signal: (s) => s });
    const controller = new AbortController();
    const running = limited(controller.signal);
    controller.abort(new Error('stop'));
    await expect(running).rejects.toThrow('stop');
    expect(limited.bulkhead.inFlight).toBe(1);
    await expect(limited(new AbortController().signal)).rejects.toMatchObject({ code: 'CIRCUITRY_BULKHEAD_FULL' });
    gate.resolve('done');
    await flush();
    expect(limited.bulkhead.inFlight).toBe(0);
  });

  it('circuitSync does not run a call whose signal has aborted already, and counts it as aborted', () => {
    const fn = vi.fn((n: number, _signal?: AbortSignal) => n * 2);
    const double = circuitSync(fn, { registry: false, signal: (_n, s) => s });
    expect(double(2)).toBe(4);
    expect(double(3, new AbortController().signal)).toBe(6);
    expect(() => double(4, AbortSignal.abort(new Error('gone')))).toThrow('gone');
    expect(fn).toHaveBeenCalledTimes(2);
    expect(double.breaker.stats()).toMatchObject({ successes: 2, aborted: 1 });
  });

  it('a decorated method picks its signal from its arguments', async () => {
    class Client {
      @circuit({ registry: false, signal: (_id: string, request: { signal: AbortSignal }) => request.signal })
      async get(id: string, _request: { signal: AbortSignal }): Promise<string> {
        return cooperative(1_000)(id);
      }
      @timeout({ ms: 1_000, signal: (request: { signal: AbortSignal }) => request.signal })
      async slow(_request: { signal: AbortSignal }): Promise<string> {
        return hangs();
      }
    }
    const client = new Client();
    const controller = new AbortController();
    const calls = [client.get('a', controller), client.slow(controller)].map((p) => p.catch((e: unknown) => e));
    controller.abort(new Error('stop'));
    expect(await Promise.all(calls)).toEqual([new Error('stop'), new Error('stop')]);
  });

  it('shows aborted calls in Prometheus as circuitry_calls_total{outcome="aborted"}', async () => {
    const registry = new CircuitRegistry();
    const breaker = new CircuitBreaker({ name: 'users-api', registry });
    await breaker.execute(async () => 1, { signal: AbortSignal.abort() }).catch(() => undefined);
    expect(toPrometheus({ registry })).toContain('circuitry_calls_total{circuit="users-api",outcome="aborted"} 1');
  });
});
