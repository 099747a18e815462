// What counts as a failure: values judged by isFailure, and hostile rejection values.
import { describe, expect, it } from 'vitest';
import { CircuitBreaker, circuit } from 'circuitry';
import { manualClock } from '../helpers/manual-clock.js';

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

  it('blames a failed trial, not the failure that first opened the circuit, for the refusals after it', async () => {
    const opening = new Error('opening');
    const trialError = new Error('trial');
    const clock = manualClock();
    const b = new CircuitBreaker({ failureThreshold: 1, recoveryTimeout: 1000, clock, registry: false });
    await expect(b.execute(() => Promise.reject(opening))).rejects.toBe(opening);
    clock.advance(1000);
    await expect(b.execute(() => Promise.reject(trialError))).rejects.toBe(trialError);
    expect(b.state).toBe('open');
    expect(b.lastFailure).toBe(trialError);
    await expect(b.execute(() => 'x')).rejects.toMatchObject({ name: 'CircuitOpenError', cause: trialError });
  });

  it('blames the failed trial among several in flight, and never a late failure that arrives meanwhile', async () => {
    const clock = manualClock();
    const b = new CircuitBreaker({ failureThreshold: 1, recoveryTimeout: 1000, halfOpenMaxCalls: 2, clock, registry: false });
    let failLate!: (error: Error) => void;
    const late = b.execute(() => new Promise((_resolve, reject) => (failLate = reject)));
    const opening = new Error('opening');
    await expect(b.execute(() => Promise.reject(opening))).rejects.toBe(opening);
    clock.advance(1000);
    let failFirst!: (error: Error) => void;
    const first = b.execute(() => new Promise((_resolve, reject) => (failFirst = reject)));
    let failSecond!: (error: Error) => void;
    const second = b.execute(() => new Promise((_resolve, reject) => (failSecond = reject)));
    const lateError = new Error('late');
    failLate(lateError);
    await expect(late).rejects.toBe(lateError);
    expect(b.lastFailure).toBe(opening); // admitted while closed: it explains nothing now
    const secondError = new Error('second trial');
    failSecond(secondError);
    await expect(second).rejects.toBe(secondError);
    expect(b.state).toBe('open');
    expect(b.lastFailure).toBe(secondError);
    failFirst(new Error('first trial, late now'));
    await first.catch(() => undefined);
    expect(b.lastFailure).toBe(secondError);
  });

  it('forgets the last failure on a trial success, before the circuit closes', async () => {
    const opening = new Error('opening');
    const clock = manualClock();
    const b = new CircuitBreaker({ failureThreshold: 1, recoveryTimeout: 1000, successThreshold: 2, clock, registry: false });
    await expect(b.execute(() => Promise.reject(opening))).rejects.toBe(opening);
    clock.advance(1000);
    await b.execute(() => 'ok');
    expect(b.state).toBe('half-open');
    expect(b.lastFailure).toBeUndefined();
  });

  it('does not let a late success from before the last close forget the newest failure', async () => {
    const clock = manualClock();
    const b = new CircuitBreaker({ failureThreshold: 1, recoveryTimeout: 1000, clock, registry: false });
    let finish!: (value: string) => void;
    const late = b.execute(() => new Promise<string>((resolve) => (finish = resolve)));
    await expect(b.execute(() => Promise.reject(new Error('opening')))).rejects.toThrow('opening');
    clock.advance(1000);
    await b.execute(() => 'trial'); // closes
    const newest = new Error('newest');
    b.configure({ failureThreshold: 2 });
    await expect(b.execute(() => Promise.reject(newest))).rejects.toBe(newest);
    finish('late');
    await late;
    expect(b.lastFailure).toBe(newest);
    expect(b.stats().consecutiveFailures).toBe(1);
  });

  it('counts the call as a failure and reports when expectedError throws', async () => {
    const reports: string[] = [];
    const boom = new Error('boom');
    const b = new CircuitBreaker({
      failureThreshold: 1,
      registry: false,
      expectedError: () => {
        throw new Error('filter broke');
      },
      reportError: (_e, source) => reports.push(source),
    });
    await expect(b.execute(() => Promise.reject(boom))).rejects.toBe(boom);
    expect(b.stats()).toMatchObject({ failures: 1, ignored: 0 });
    expect(b.state).toBe('open');
    expect(reports).toEqual(['expectedError']);
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

  it('a rejection value whose code getter throws is counted as a failure, not taken for a full bulkhead', async () => {
    const hostile = {
      get code(): string {
        throw new Error('no code for you');
      },
    };
    const guarded = circuit(async () => {
      throw hostile;
    }, { registry: false, failureThreshold: 1 });
    await expect(guarded()).rejects.toBe(hostile);
    expect(guarded.breaker.stats()).toMatchObject({ failures: 1, ignored: 0 });
    expect(guarded.breaker.state).toBe('open');
  });
});
