// What counts as a failure: values judged by isFailure, and hostile rejection values.
import { describe, expect, it } from 'vitest';
import { CircuitBreaker, circuit } from 'circuitry';

describe('outcomes: isFailure and hostile rejection values', () => {
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
    expect(get.breaker.consecutiveFailures).toBe(1);
    expect(get.breaker.lastFailure).toEqual({ status: 503 });
    status = 200;
    await get();
    expect(get.breaker.consecutiveFailures).toBe(0);
    status = 500;
    await get();
    await get();
    expect(get.breaker.state).toBe('open');
    expect(fallbacks).toBe(0);
    await expect(get()).resolves.toEqual({ status: 0 }); // rejected while open: now the fallback runs
  });

  it('forgets the last failure on a counted success, but not on a late one', async () => {
    const boom = new Error('503');
    const b = new CircuitBreaker({ failureThreshold: 2, registry: false });
    await expect(b.execute(() => Promise.reject(boom))).rejects.toBe(boom);
    expect(b.lastFailure).toBe(boom);
    await b.execute(() => 'ok');
    expect(b.lastFailure).toBeUndefined();
    expect(b.consecutiveFailures).toBe(0);

    // A call admitted while closed that succeeds after the circuit opened counts for nothing:
    // refusals keep blaming the failure that opened it.
    let finish!: (value: string) => void;
    const late = b.execute(() => new Promise<string>((resolve) => (finish = resolve)));
    await expect(b.execute(() => Promise.reject(boom))).rejects.toBe(boom);
    await expect(b.execute(() => Promise.reject(boom))).rejects.toBe(boom);
    expect(b.state).toBe('open');
    finish('late');
    await expect(late).resolves.toBe('late');
    expect(b.lastFailure).toBe(boom);
    await expect(b.execute(() => 'x')).rejects.toMatchObject({ name: 'CircuitOpenError', cause: boom });
  });

  it('counts a late failure, but refusals keep blaming the failure that opened the circuit', async () => {
    const opening = new Error('opening');
    const lateError = new Error('late');
    const b = new CircuitBreaker({ failureThreshold: 1, registry: false });
    let fail!: (error: Error) => void;
    const late = b.execute(() => new Promise((_resolve, reject) => (fail = reject)));
    await expect(b.execute(() => Promise.reject(opening))).rejects.toBe(opening);
    fail(lateError);
    await expect(late).rejects.toBe(lateError);
    expect(b.stats()).toMatchObject({ state: 'open', failures: 2 });
    expect(b.lastFailure).toBe(opening);
    await expect(b.execute(() => 'x')).rejects.toMatchObject({ name: 'CircuitOpenError', cause: opening });
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
    expect(get.breaker.consecutiveFailures).toBe(1);
    expect(reports).toEqual(['isFailure']);
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
    expect(guarded.breaker.consecutiveFailures).toBe(1);
  });
});
