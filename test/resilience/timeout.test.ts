import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { TimeoutError, callSignal, circuit, retry, timeout } from 'circuitry';

beforeEach(() => {
  vi.useFakeTimers({ now: 0 });
});
afterEach(() => {
  expect(vi.getTimerCount()).toBe(0); // the timer is cleared the moment a call settles
  vi.useRealTimers();
});

/** A function that finishes after `ms` unless its signal aborts first. */
const work = (ms: number) =>
  async function fetchLike(id: string): Promise<string> {
    const signal = callSignal();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => resolve(`done:${id}`), ms);
      signal.addEventListener('abort', () => {
        clearTimeout(timer);
        reject(signal.reason);
      });
    });
  };

describe('timeout', () => {
  it('returns what the call returns in time, and clears its timer', async () => {
    const get = timeout(work(50), 100);
    const result = get('a');
    await vi.advanceTimersByTimeAsync(50);
    await expect(result).resolves.toBe('done:a');
  });

  it('rejects with a TimeoutError when time is up, and aborts the call\'s signal with it', async () => {
    let signal: AbortSignal | undefined;
    const get = timeout(async (id: string) => {
      signal = callSignal();
      return work(500)(id);
    }, 100);
    const outcome = get('a').catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(100);
    const error = (await outcome) as TimeoutError;
    expect(error).toBeInstanceOf(TimeoutError);
    expect(error.name).toBe('TimeoutError');
    expect(error.message).toBe('call to an anonymous function timed out after 100 ms');
    expect(error.timeout).toBe(100);
    expect(signal!.aborted).toBe(true);
    expect(signal!.reason).toBe(error);
  });

  it('gives each call its own signal', async () => {
    const signals: AbortSignal[] = [];
    const get = timeout(async (ms: number) => {
      signals.push(callSignal());
      await new Promise((resolve) => setTimeout(resolve, ms));
      return ms;
    }, 100);
    const slow = get(500).catch((e: unknown) => e);
    const fast = get(10);
    await vi.advanceTimersByTimeAsync(10);
    await expect(fast).resolves.toBe(10);
    await vi.advanceTimersByTimeAsync(90);
    expect(await slow).toBeInstanceOf(TimeoutError);
    expect(signals.map((s) => s.aborted)).toEqual([true, false]);
    await vi.advanceTimersByTimeAsync(400); // the slow work's own sleep ends
  });

  it('turns a synchronous throw into a rejection', async () => {
    const get = timeout(() => {
      throw new Error('sync');
    }, 100);
    await expect(get()).rejects.toThrow('sync');
  });

  it('names the function in its message', async () => {
    const get = timeout(work(500), 100);
    const outcome = get('a').catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(100);
    expect(((await outcome) as Error).message).toBe('call to "fetchLike" timed out after 100 ms');
  });

  it('refuses callSignal() outside a guarded call, and after an await', async () => {
    expect(() => callSignal()).toThrow(TypeError);
    const get = timeout(async () => {
      await Promise.resolve();
      return callSignal();
    }, 100);
    await expect(get()).rejects.toThrow('callSignal() must be called at the start of a function guarded by circuit, timeout or retry, before its first await');
  });

  it('refuses a timeout that is not a positive finite number', () => {
    expect(() => timeout(async () => 1, 0)).toThrow(new RangeError('timeout must be a positive finite number of milliseconds, got 0'));
    expect(() => timeout(async () => 1, '1s' as never)).toThrow(TypeError);
    expect(() => circuit(async () => 1, { timeout: -5 })).toThrow(RangeError);
  });
});

describe('the circuit timeout option', () => {
  it('counts a timed-out call as a failure and a timeout', async () => {
    const get = circuit(work(500), { timeout: 100, failureThreshold: 2, registry: false });
    const first = get('a').catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(100);
    expect(await first).toBeInstanceOf(TimeoutError);
    const second = get('b').catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(100);
    await second;
    expect(get.breaker.state).toBe('open');
    expect(get.breaker.stats()).toMatchObject({ failures: 2, timeouts: 2 });
  });
  it('names the circuit in its TimeoutError: its name option, else the function', async () => {
    const named = circuit(async () => new Promise(() => {}), { timeout: 100, name: 'users-api', registry: false });
    const outcome = named().catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(100);
    expect(((await outcome) as Error).message).toBe('call to "users-api" timed out after 100 ms');
    const byFunction = circuit(work(500), { timeout: 100, registry: false });
    const second = byFunction('a').catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(500);
    expect(((await second) as Error).message).toBe('call to "fetchLike" timed out after 100 ms');
  });

  it('gives callSignal() to the function without a timeout too, one that never aborts', async () => {
    // circuit(fn, { timeout: config.timeout }) with no value configured: the function is the same.
    const config: { timeout?: number } = {};
    const signals: AbortSignal[] = [];
    const get = circuit(
      async (id: string) => {
        signals.push(callSignal());
        return id;
      },
      { timeout: config.timeout, registry: false },
    );
    await expect(get('a')).resolves.toBe('a');
    expect(signals[0]!.aborted).toBe(false);
    expect(get.breaker.stats()).toMatchObject({ successes: 1, failures: 0 });
    // Under retry, the function sees the retry's signal, not a never-aborting one of its own.
    const controller = new AbortController();
    const retried = retry(async (id: string) => {
      const call = get(id);
      controller.abort(new Error('stop'));
      return call;
    }, { attempts: 1, signal: controller.signal });
    await retried('b').catch(() => undefined);
    expect(signals[1]!.aborted).toBe(true);
    // Outside any call the signal is still refused.
    expect(() => callSignal()).toThrow(TypeError);
  });
});

describe('@timeout (standard decorators)', () => {
  it('gives a method a deadline and its own signal', async () => {
    class Client {
      signal: AbortSignal | undefined;
      @timeout(100)
      async slow(ms: number): Promise<number> {
        this.signal = callSignal();
        await new Promise((resolve) => setTimeout(resolve, ms));
        return ms;
      }
    }
    const client = new Client();
    const late = client.slow(500).catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(100);
    const error = (await late) as TimeoutError;
    expect(error.message).toBe('call to "slow" timed out after 100 ms');
    expect(client.signal!.aborted).toBe(true);
    await vi.advanceTimersByTimeAsync(400);
    const quick = client.slow(10);
    await vi.advanceTimersByTimeAsync(10);
    await expect(quick).resolves.toBe(10);
    expect(Client.prototype.slow.name).toBe('slow');
  });
});
