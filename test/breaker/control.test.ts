import { describe, expect, it } from 'vitest';
import { CircuitBreaker, CircuitIsolatedError, CircuitOpenError, circuit, countWindow, isCircuitOpenError } from 'circuitry';
import { driven } from '../helpers/drive.js';

describe('isolate()', () => {
  it('holds the circuit open past its recovery time, with a distinct error', async () => {
    const d = driven();
    const release = d.breaker.isolate();
    expect(d.breaker.state).toBe('isolated');
    d.clock.advance(1_000_000);
    const error = await d.guarded('ok').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CircuitIsolatedError);
    expect(error).toBeInstanceOf(CircuitOpenError);
    expect(isCircuitOpenError(error)).toBe(true);
    expect((error as CircuitIsolatedError).name).toBe('CircuitIsolatedError');
    expect((error as CircuitIsolatedError).retryAfter).toBe(Infinity);
    expect(d.breaker.retryAfter).toBe(Infinity);
    release();
    expect(d.breaker.state).toBe('half-open');
    await expect(d.guarded('ok')).resolves.toBe('ok');
    expect(d.breaker.state).toBe('closed');
  });

  it('adds holds up; each release counts once', async () => {
    const d = driven();
    const first = d.breaker.isolate();
    const second = d.breaker.isolate();
    first();
    first();
    expect(d.breaker.state).toBe('isolated');
    second();
    expect(d.breaker.state).toBe('half-open');
  });

  it('isolates a half-open circuit and drops its trials', async () => {
    const d = driven({ failureThreshold: 1 });
    await d.run('fail');
    d.clock.advance(1000);
    expect(d.breaker.state).toBe('half-open');
    const release = d.breaker.isolate();
    await expect(d.guarded('ok')).rejects.toBeInstanceOf(CircuitIsolatedError);
    release();
    expect(d.breaker.state).toBe('half-open');
  });

  it('is ended by close() and reset(); old releases then do nothing', async () => {
    const d = driven();
    const release = d.breaker.isolate();
    d.breaker.reset();
    expect(d.breaker.state).toBe('closed');
    const again = d.breaker.isolate();
    release();
    expect(d.breaker.state).toBe('isolated');
    again();
    expect(d.breaker.state).toBe('half-open');
  });
});

describe('disable() and enable()', () => {
  it('lets every call through and changes no state until enabled', async () => {
    const d = driven({ failureThreshold: 1 });
    d.breaker.disable();
    expect(d.breaker.state).toBe('disabled');
    await d.run('fail', 'fail', 'fail');
    expect(d.breaker.state).toBe('disabled');
    await expect(d.guarded('ok')).resolves.toBe('ok');
    d.breaker.enable();
    expect(d.breaker.state).toBe('closed');
    expect(d.breaker.failures).toBe(0);
    await d.run('fail');
    expect(d.breaker.state).toBe('open');
  });

  it('enable() does nothing unless disabled', async () => {
    const d = driven({ failureThreshold: 1 });
    await d.run('fail');
    d.breaker.enable();
    expect(d.breaker.state).toBe('open');
  });
});

describe('reset()', () => {
  it('closes with fresh counts, window and backoff', async () => {
    const d = driven({ policy: countWindow({ size: 4, failureRate: 0.5, minimumCalls: 4 }) });
    await d.run('fail', 'ok', 'ok');
    d.breaker.reset();
    await d.run('fail', 'fail', 'ok');
    expect(d.breaker.state).toBe('closed'); // only 3 calls in the fresh window
  });
});

describe('isFailure', () => {
  interface Reply {
    status: number;
  }
  it('counts a returned value as a failure while the caller still gets it, with no fallback', async () => {
    let status = 503;
    let fallbacks = 0;
    const get = circuit(async (): Promise<Reply> => ({ status }), {
      failureThreshold: 2,
      isFailure: (reply: Reply) => reply.status >= 500,
      fallback: () => {
        fallbacks += 1;
        return { status: 0 };
      },
    });
    await expect(get()).resolves.toEqual({ status: 503 });
    expect(get.breaker.failures).toBe(1);
    expect(get.breaker.lastFailure).toEqual({ status: 503 });
    status = 200;
    await get();
    expect(get.breaker.failures).toBe(0);
    status = 500;
    await get();
    await get();
    expect(get.breaker.state).toBe('open');
    expect(fallbacks).toBe(0);
    await expect(get()).resolves.toEqual({ status: 0 }); // rejected while open: now the fallback runs
  });

  it('counts the call and reports when isFailure throws', async () => {
    const reports: string[] = [];
    const get = circuit(async () => 1, {
      isFailure: () => {
        throw new Error('judge broke');
      },
      reportError: (_e, source) => reports.push(source),
    });
    await expect(get()).resolves.toBe(1);
    expect(get.breaker.failures).toBe(1);
    expect(reports).toEqual(['isFailure']);
  });
});

describe('configure()', () => {
  it('applies new options at once and keeps the state and counts', async () => {
    const d = driven({ failureThreshold: 5 });
    await d.run('fail', 'fail');
    d.breaker.configure({ failureThreshold: 3 });
    await d.run('fail');
    expect(d.breaker.state).toBe('open');
    d.breaker.configure({ recoveryTimeout: 50 });
    await d.run('ok'); // still within the open time fixed when it opened
    expect(d.breaker.retryAfter).toBe(1000);
  });

  it('is atomic: one invalid option and nothing changes', async () => {
    const d = driven({ failureThreshold: 2 });
    expect(() => d.breaker.configure({ failureThreshold: 1, recoveryTimeout: -5 })).toThrow(
      new RangeError('recoveryTimeout must be a positive finite number of milliseconds, got -5'),
    );
    await d.run('fail');
    expect(d.breaker.state).toBe('closed'); // the threshold is still 2
    expect(() => d.breaker.configure({ name: 'other' } as never)).toThrow(new TypeError('name cannot be changed by configure'));
    expect(() => d.breaker.configure({ failureTreshold: 1 } as never)).toThrow(TypeError);
    expect(() => d.breaker.configure({ policy: () => ({}) as never })).toThrow(TypeError);
    await d.run('fail');
    expect(d.breaker.state).toBe('open');
  });

  it('starts a new policy with an empty window, and keeps a policy that did not change', async () => {
    const policy = countWindow({ size: 4, failureRate: 0.5, minimumCalls: 4 });
    const d = driven({ policy });
    await d.run('fail', 'fail', 'ok');
    d.breaker.configure({ halfOpenMaxCalls: 2 });
    await d.run('ok');
    expect(d.breaker.state).toBe('open'); // same factory: the window carried over
    d.breaker.close();
    await d.run('fail', 'fail', 'ok');
    d.breaker.configure({ policy: countWindow({ size: 4, failureRate: 0.5, minimumCalls: 4 }) });
    await d.run('ok');
    expect(d.breaker.state).toBe('closed'); // new factory: one call in a fresh window
  });

  it('can move between the default and a window policy', async () => {
    const d = driven({ failureThreshold: 1 });
    d.breaker.configure({ failureThreshold: undefined, policy: countWindow({ size: 2, minimumCalls: 2 }) });
    await d.run('fail');
    expect(d.breaker.state).toBe('closed');
    expect(() => new CircuitBreaker({ failureThreshold: 3, policy: countWindow({ size: 2 }) })).toThrow(
      new TypeError('failureThreshold cannot be combined with policy: it belongs to the default policy'),
    );
    expect(() => new CircuitBreaker({ slowCallDuration: 100 })).toThrow(
      new TypeError('slowCallDuration needs a window policy (countWindow or timeWindow) to count slow calls against'),
    );
  });
});

describe('custom policies', () => {
  it('are plugged in through the policy option and contained when they throw', async () => {
    const seen: string[] = [];
    const reports: string[] = [];
    const d = driven({
      policy: () => ({
        onSuccess: () => {
          seen.push('success');
          throw new Error('policy broke');
        },
        onFailure: () => {
          seen.push('failure');
          return seen.length >= 3;
        },
        reset: () => seen.push('reset'),
      }),
      reportError: (_e, source) => reports.push(source),
    });
    await expect(d.guarded('ok')).resolves.toBe('ok');
    await d.run('fail', 'fail');
    expect(seen).toEqual(['success', 'failure', 'failure']);
    expect(d.breaker.state).toBe('open');
    expect(reports).toEqual(['policy']);
    d.breaker.close();
    expect(seen.at(-1)).toBe('reset');
  });
});

describe('review fixes', () => {
  it('a refusal after a manual open, or after the circuit closed again, blames no old failure', async () => {
    const d = driven({ failureThreshold: 1 });
    await d.run('fail');
    expect(((await d.guarded('ok').catch((e: unknown) => e)) as Error).cause).toBeInstanceOf(Error);
    d.clock.advance(1000);
    await d.run('ok'); // closes
    d.breaker.open();
    const error = (await d.guarded('ok').catch((e: unknown) => e)) as Error;
    expect(error.cause).toBeUndefined();
    expect(d.breaker.lastFailure).toBeUndefined();
  });

  it('reset() on a closed circuit: calls admitted before it no longer count', async () => {
    const breaker = new CircuitBreaker({ failureThreshold: 2, registry: false });
    let reject!: (e: unknown) => void;
    const slow = circuit(() => new Promise((_, r) => (reject = r)), breaker);
    const failing = circuit(async () => {
      throw new Error('down');
    }, breaker);
    const before = slow().catch(() => undefined);
    breaker.reset();
    reject(new Error('late'));
    await before;
    expect(breaker.failures).toBe(0);
    await failing().catch(() => undefined);
    expect(breaker.state).toBe('closed'); // one failure since the reset, threshold 2
  });

  it('a rejection value whose name getter throws is still counted, and the caller gets it', async () => {
    const hostile = {
      get name(): string {
        throw new Error('no name for you');
      },
    };
    const guarded = circuit(async () => {
      throw hostile;
    }, { registry: false });
    await expect(guarded()).rejects.toBe(hostile);
    expect(guarded.breaker.stats()).toMatchObject({ failures: 1, timeouts: 0 });
    expect(guarded.breaker.failures).toBe(1);
  });
});
