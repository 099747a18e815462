import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { BulkheadRejectedError, TimeoutError, breakerOf, bulkhead, bulkheadOf, callSignal, circuit, isBulkheadRejectedError, pipe, retry, timeout } from 'circuitry';
import type { BulkheadRejection } from 'circuitry';
import { deferred, flush } from '../helpers/manual-clock.js';

beforeEach(() => {
  vi.useFakeTimers({ now: 0 });
});
afterEach(() => {
  // No timer outlives a settled or emptied queue, in any of these tests.
  expect(vi.getTimerCount()).toBe(0);
  vi.useRealTimers();
});

/** A dependency whose calls settle when the test says, in the order they started. */
function dependency() {
  const started: string[] = [];
  const pending: ReturnType<typeof deferred<string>>[] = [];
  const fn = (id: string): Promise<string> => {
    started.push(id);
    const call = deferred<string>();
    pending.push(call);
    return call.promise;
  };
  const settle = (index: number, value = `ok:${started[index]}`) => pending[index]!.resolve(value);
  return { fn, started, settle, fail: (index: number, error: unknown) => pending[index]!.reject(error) };
}

async function outcome(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );
}

describe('bulkhead as a wrapper', () => {
  it('runs maxConcurrent calls at once and starts queued calls first come, first served', async () => {
    const d = dependency();
    const limited = bulkhead(d.fn, { maxConcurrent: 2, maxQueue: 3 });
    const results = ['a', 'b', 'c', 'd', 'e'].map((id) => limited(id));
    expect(d.started).toEqual(['a', 'b']);
    expect(limited.bulkhead.stats()).toEqual({ inFlight: 2, queued: 3, rejections: 0, abandoned: 0 });
    d.settle(1);
    await flush();
    expect(d.started).toEqual(['a', 'b', 'c']);
    d.settle(0);
    await flush();
    expect(d.started).toEqual(['a', 'b', 'c', 'd']);
    d.settle(2);
    d.settle(3);
    await flush();
    expect(d.started).toEqual(['a', 'b', 'c', 'd', 'e']);
    d.settle(4);
    expect(await Promise.all(results)).toEqual(['ok:a', 'ok:b', 'ok:c', 'ok:d', 'ok:e']);
    expect(limited.bulkhead.stats()).toEqual({ inFlight: 0, queued: 0, rejections: 0, abandoned: 0 });
  });

  it('refuses a call at once when the queue is full, without calling the function', async () => {
    const d = dependency();
    const limited = bulkhead(d.fn, { maxConcurrent: 1, maxQueue: 1, name: 'users-api' });
    const heard: BulkheadRejection[] = [];
    limited.bulkhead.on('rejected', (event) => heard.push(event));
    void limited('a');
    const queued = limited('b');
    const refused = await outcome(limited('c'));
    const error = (refused as { error: BulkheadRejectedError }).error;
    expect(error).toBeInstanceOf(BulkheadRejectedError);
    expect(isBulkheadRejectedError(error)).toBe(true);
    expect(error).toMatchObject({ name: 'BulkheadRejectedError', code: 'CIRCUITRY_BULKHEAD_FULL', reason: 'full', bulkheadName: 'users-api' });
    expect(error.message).toBe('Bulkhead "users-api" is full: 1 calls in flight and 1 waiting');
    expect(d.started).toEqual(['a']);
    expect(heard.map((e) => e.error)).toEqual([error]);
    expect(limited.bulkhead.stats()).toMatchObject({ inFlight: 1, queued: 1, rejections: 1 });
    d.settle(0);
    await flush();
    d.settle(1);
    await expect(queued).resolves.toBe('ok:b');
  });

  it('with no queue (the default) refuses every call beyond maxConcurrent', async () => {
    const d = dependency();
    const limited = bulkhead(d.fn, { maxConcurrent: 1 });
    const first = limited('a');
    await expect(limited('b')).rejects.toMatchObject({ reason: 'full' });
    d.settle(0);
    await first;
    const again = limited('c');
    expect(d.started).toEqual(['a', 'c']);
    d.settle(1);
    await expect(again).resolves.toBe('ok:c');
  });

  it('gives the permit back when a call rejects or throws synchronously', async () => {
    let calls = 0;
    const limited = bulkhead(
      (kind: 'throw' | 'reject' | 'ok') => {
        calls += 1;
        if (kind === 'throw') throw new Error('sync');
        return kind === 'reject' ? Promise.reject(new Error('async')) : Promise.resolve('fine');
      },
      { maxConcurrent: 1 },
    );
    await expect(limited('throw')).rejects.toThrow('sync');
    expect(limited.bulkhead.inFlight).toBe(0);
    await expect(limited('reject')).rejects.toThrow('async');
    expect(limited.bulkhead.inFlight).toBe(0);
    await expect(limited('ok')).resolves.toBe('fine');
    expect(calls).toBe(3);
  });

  it('admits the next queued call when a running one fails', async () => {
    const d = dependency();
    const limited = bulkhead(d.fn, { maxConcurrent: 1, maxQueue: 1 });
    const first = outcome(limited('a'));
    const second = limited('b');
    d.fail(0, new Error('down'));
    expect(await first).toEqual({ error: new Error('down') });
    expect(d.started).toEqual(['a', 'b']);
    d.settle(1);
    await expect(second).resolves.toBe('ok:b');
  });

  it('refuses a call that waited queueTimeout ms, and sets a timer only while a call waits', async () => {
    const d = dependency();
    const limited = bulkhead(d.fn, { maxConcurrent: 1, maxQueue: 2, queueTimeout: 100 });
    const running = limited('a');
    expect(vi.getTimerCount()).toBe(0);
    const waiting = outcome(limited('b'));
    expect(vi.getTimerCount()).toBe(1);
    await vi.advanceTimersByTimeAsync(99);
    expect(limited.bulkhead.queued).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    const { error } = (await waiting) as { error: BulkheadRejectedError };
    expect(error).toMatchObject({ reason: 'queueTimeout', code: 'CIRCUITRY_BULKHEAD_FULL' });
    expect(limited.bulkhead.stats()).toMatchObject({ queued: 0, rejections: 1 });
    // A call admitted before its time is up leaves no timer behind.
    const admitted = limited('c');
    expect(vi.getTimerCount()).toBe(1);
    d.settle(0);
    await running;
    expect(vi.getTimerCount()).toBe(0);
    expect(d.started).toEqual(['a', 'c']);
    d.settle(1);
    await expect(admitted).resolves.toBe('ok:c');
  });

  it('removes a call from the queue when its signal aborts, rejecting with the reason', async () => {
    const d = dependency();
    const controllers = new Map<string, AbortController>();
    const limited = bulkhead(d.fn, {
      maxConcurrent: 1,
      maxQueue: 2,
      queueTimeout: 1_000,
      signal: (id) => controllers.get(id)?.signal,
    });
    controllers.set('b', new AbortController());
    void limited('a');
    const aborted = outcome(limited('b'));
    const next = limited('c');
    controllers.get('b')!.abort(new Error('caller gave up'));
    expect(await aborted).toEqual({ error: new Error('caller gave up') });
    expect(limited.bulkhead.stats()).toMatchObject({ queued: 1, rejections: 0, abandoned: 1 });
    d.settle(0);
    await flush();
    // The aborted call never ran; the one behind it took the permit.
    expect(d.started).toEqual(['a', 'c']);
    d.settle(1);
    await expect(next).resolves.toBe('ok:c');
  });

  it('takes a queued call out of the queue when a timeout around the bulkhead runs out', async () => {
    const d = dependency();
    const limited = pipe(
      d.fn,
      (f) => bulkhead(f, { maxConcurrent: 1, maxQueue: 1 }),
      (f) => timeout(f, 50),
    );
    const running = outcome(limited('a'));
    const queued = outcome(limited('b'));
    await vi.advanceTimersByTimeAsync(50);
    expect(((await queued) as { error: Error }).error).toBeInstanceOf(TimeoutError);
    expect(bulkheadOf(limited).stats()).toMatchObject({ inFlight: 1, queued: 0, abandoned: 1 });
    expect(((await running) as { error: Error }).error).toBeInstanceOf(TimeoutError);
    d.settle(0);
    await flush();
    expect(d.started).toEqual(['a']);
    expect(bulkheadOf(limited).inFlight).toBe(0);
  });

  it('rejects with the reason at once when the signal has already aborted', async () => {
    const d = dependency();
    const limited = bulkhead(d.fn, { maxConcurrent: 1, signal: AbortSignal.abort(new Error('too late')) });
    await expect(limited('a')).rejects.toThrow('too late');
    expect(d.started).toEqual([]);
  });

  it('lets a running call read the caller signal through callSignal()', async () => {
    const controller = new AbortController();
    const seen: AbortSignal[] = [];
    const limited = bulkhead(
      async () => {
        seen.push(callSignal());
      },
      { maxConcurrent: 1, signal: controller.signal },
    );
    await limited();
    expect(seen).toEqual([controller.signal]);
  });

  it('reports a throwing rejected listener and still refuses the call', async () => {
    const reportError = vi.fn();
    const limited = bulkhead(() => new Promise<never>(() => {}), { maxConcurrent: 1, name: 'slow', reportError });
    const remove = limited.bulkhead.on('rejected', () => {
      throw new Error('listener bug');
    });
    void limited();
    await expect(limited()).rejects.toBeInstanceOf(BulkheadRejectedError);
    expect(reportError).toHaveBeenCalledWith(new Error('listener bug'), 'rejected', 'slow');
    remove();
    await expect(limited()).rejects.toBeInstanceOf(BulkheadRejectedError);
    expect(reportError).toHaveBeenCalledTimes(1);
  });

  it('checks its options, naming the option and the value', () => {
    const fn = async () => 1;
    expect(() => bulkhead(fn, undefined as never)).toThrow(new TypeError('bulkhead options must be an object, got undefined'));
    expect(() => bulkhead(fn, {} as never)).toThrow(new TypeError('maxConcurrent must be a positive integer, got undefined'));
    expect(() => bulkhead(fn, { maxConcurrent: 0 })).toThrow(new RangeError('maxConcurrent must be a positive integer, got 0'));
    expect(() => bulkhead(fn, { maxConcurrent: 1, maxQueue: -1 })).toThrow(new RangeError('maxQueue must be an integer of at least 0, got -1'));
    expect(() => bulkhead(fn, { maxConcurrent: 1, maxQueue: 1, queueTimeout: 2 ** 31 })).toThrow(RangeError);
    expect(() => bulkhead(fn, { maxConcurrent: 1, queueTimeout: 100 })).toThrow(
      new RangeError('queueTimeout must be left out when maxQueue is 0 (no call ever waits), got 100'),
    );
    expect(() => bulkhead(fn, { maxConcurrent: 1, signal: 'stop' as never })).toThrow(
      new TypeError('signal must be an AbortSignal or a function returning one, got "stop" (a string)'),
    );
    expect(() => bulkhead(fn, { maxConcurrent: 1, size: 3 } as never)).toThrow(new TypeError('unknown bulkhead option "size"'));
    expect(() => bulkhead(fn, { maxConcurrent: 1, scope: 'instance' } as never)).toThrow(new TypeError('unknown bulkhead option "scope"'));
    expect(() => bulkhead(fn, { maxConcurrent: 1 }).bulkhead.on('full' as never, () => {})).toThrow(
      new TypeError('event must be "rejected" (a bulkhead\'s one event), got "full" (a string)'),
    );
  });
});

describe('bulkhead and a circuit', () => {
  it('outside the circuit: a refusal never reaches the breaker', async () => {
    const d = dependency();
    const limited = pipe(
      d.fn,
      (f) => circuit(f, { failureThreshold: 1, registry: false }),
      (f) => bulkhead(f, { maxConcurrent: 1 }),
    );
    const first = limited('a');
    await expect(limited('b')).rejects.toBeInstanceOf(BulkheadRejectedError);
    d.settle(0);
    await first;
    expect(breakerOf(limited).stats()).toMatchObject({ state: 'closed', successes: 1, failures: 0 });
    expect(bulkheadOf(limited).stats()).toMatchObject({ rejections: 1 });
  });

  it('inside the circuit: a refusal counts as neither success nor failure', async () => {
    const d = dependency();
    const guarded = circuit(bulkhead(d.fn, { maxConcurrent: 1 }), { failureThreshold: 1, registry: false });
    const first = guarded('a');
    await expect(guarded('b')).rejects.toBeInstanceOf(BulkheadRejectedError);
    expect(guarded.breaker.stats()).toMatchObject({ state: 'closed', failures: 0, ignored: 1 });
    d.settle(0);
    await first;
  });

  it('inside the circuit, with an expectedError of its own: refusals still stay out of the count', async () => {
    const d = dependency();
    const guarded = circuit(bulkhead(d.fn, { maxConcurrent: 1 }), {
      failureThreshold: 1,
      registry: false,
      expectedError: (error) => !isBulkheadRejectedError(error),
    });
    const first = guarded('a');
    await expect(guarded('b')).rejects.toBeInstanceOf(BulkheadRejectedError);
    expect(guarded.breaker.stats()).toMatchObject({ state: 'closed', failures: 0, ignored: 1 });
    d.settle(0);
    await first;
  });

  it('keeps types through pipe with retry and circuit, and bulkheadOf sees through retry', async () => {
    const d = dependency();
    const guarded = pipe(
      d.fn,
      (f) => circuit(f, { registry: false }),
      (f) => bulkhead(f, { maxConcurrent: 1 }),
      (f) => retry(f, { attempts: 2, wait: 10, retryOn: (error) => !isBulkheadRejectedError(error) }),
    );
    const result: Promise<string> = guarded('a');
    await flush();
    expect(bulkheadOf(guarded).inFlight).toBe(1);
    d.settle(0);
    await expect(result).resolves.toBe('ok:a');
  });
});

class UsersClient {
  started: string[] = [];
  release: (() => void)[] = [];

  @bulkhead({ maxConcurrent: 1, maxQueue: 1 })
  async perClass(id: string): Promise<string> {
    return this.hold(id);
  }

  @bulkhead({ maxConcurrent: 1, scope: 'instance' })
  async perInstance(id: string): Promise<string> {
    return this.hold(id);
  }

  @retry({ attempts: 1 })
  @bulkhead({ maxConcurrent: 2, name: 'users-api' })
  async underRetry(id: string): Promise<string> {
    return this.hold(id);
  }

  hold(id: string): Promise<string> {
    this.started.push(id);
    return new Promise((resolve) => this.release.push(() => resolve(id)));
  }
}

describe('bulkhead as a decorator', () => {
  it('scope "class": one bulkhead for the method across instances, named Class.method', async () => {
    const a = new UsersClient();
    const b = new UsersClient();
    const first = a.perClass('1');
    const second = b.perClass('2');
    const refused = outcome(a.perClass('3'));
    expect(((await refused) as { error: BulkheadRejectedError }).error.bulkheadName).toBe('UsersClient.perClass');
    expect(bulkheadOf(a, 'perClass')).toBe(bulkheadOf(b, 'perClass'));
    expect(bulkheadOf(a, 'perClass').stats()).toEqual({ inFlight: 1, queued: 1, rejections: 1, abandoned: 0 });
    a.release[0]!();
    await expect(first).resolves.toBe('1');
    await flush();
    expect(b.started).toEqual(['2']);
    b.release[0]!();
    await expect(second).resolves.toBe('2');
  });

  it('scope "instance": each instance has its own permits', async () => {
    const a = new UsersClient();
    const b = new UsersClient();
    const fromA = a.perInstance('1');
    const fromB = b.perInstance('2');
    expect(a.started).toEqual(['1']);
    expect(b.started).toEqual(['2']);
    await expect(a.perInstance('3')).rejects.toMatchObject({ reason: 'full' });
    expect(bulkheadOf(a, 'perInstance')).not.toBe(bulkheadOf(b, 'perInstance'));
    expect(bulkheadOf(a, 'perInstance').stats()).toMatchObject({ inFlight: 1, rejections: 1 });
    expect(bulkheadOf(b, 'perInstance').stats()).toMatchObject({ inFlight: 1, rejections: 0 });
    a.release[0]!();
    b.release[0]!();
    await Promise.all([fromA, fromB]);
  });

  it('scope "instance" refuses a call without an instance', async () => {
    const { perInstance } = UsersClient.prototype;
    await expect(perInstance.call(undefined as never, '1')).rejects.toThrow(
      new TypeError('perInstance has an instance-scoped bulkhead and was called without an instance (this is undefined)'),
    );
  });

  it('bulkheadOf finds a bulkhead under @retry, and names what is not guarded', async () => {
    const client = new UsersClient();
    const call = client.underRetry('1');
    expect(bulkheadOf(client, 'underRetry')).toMatchObject({ name: 'users-api', inFlight: 1, maxConcurrent: 2, maxQueue: 0 });
    client.release[0]!();
    await call;
    expect(() => bulkheadOf(client, 'hold')).toThrow(TypeError);
    expect(() => bulkheadOf(async () => 1)).toThrow(/this function is not guarded by bulkhead/);
  });

  it('checks a decorator options when the class is defined', () => {
    expect(() => bulkhead({ maxConcurrent: 1, scope: 'shared' as never })).toThrow(new TypeError('scope must be "class" or "instance", got "shared" (a string)'));
  });
});
