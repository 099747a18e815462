import { CircuitBreaker, CircuitOpenError, circuit, restoreBreaker } from 'circuitry';
import { afterEach, describe, expect, it } from 'vitest';
import { driven } from '../helpers/drive.js';
import { deferred, manualClock } from '../helpers/manual-clock.js';
import { fleet, settle } from '../store/fleet.js';

/** An error that carries the open period its dependency asked for, as a 429 or 503 does. */
class TooManyRequests extends Error {
  constructor(readonly retryAfterMs: number | undefined) {
    super('429');
  }
}
const periodOf = (failure: unknown) => (failure instanceof TooManyRequests ? failure.retryAfterMs : undefined);

function quota(options: ConstructorParameters<typeof CircuitBreaker>[0] = {}) {
  const clock = manualClock();
  const reports: { error: unknown; source: string }[] = [];
  const breaker = new CircuitBreaker({ clock, recoveryTimeout: 1000, openPeriodOf: periodOf, reportError: (error, source) => reports.push({ error, source }), ...options });
  let failure: unknown;
  const call = circuit(async () => {
    if (failure !== undefined) throw failure;
    return 'ok';
  }, breaker);
  const attempt = (next?: unknown) => {
    failure = next;
    return call().catch((error: unknown) => error);
  };
  return { breaker, clock, reports, attempt };
}

describe('openPeriodOf: open for as long as the dependency says', () => {
  it('opens at the first failure that gives a period, for that period, not recoveryTimeout', async () => {
    const q = quota({ failureThreshold: 5 });
    await q.attempt(new TooManyRequests(120_000));
    expect(q.breaker.state).toBe('open');
    expect(q.breaker.retryAfter).toBe(120_000);
    const refusal = await q.attempt();
    expect(refusal).toBeInstanceOf(CircuitOpenError);
    expect((refusal as CircuitOpenError).retryAfter).toBe(120_000);
    expect((refusal as CircuitOpenError).cause).toBeInstanceOf(TooManyRequests);
    q.clock.advance(119_999);
    expect(q.breaker.state).toBe('open');
    q.clock.advance(1);
    expect(q.breaker.state).toBe('half-open');
    expect(await q.attempt()).toBe('ok');
    expect(q.breaker.state).toBe('closed');
  });

  it('lets a failure without a period count as any other', async () => {
    const q = quota({ failureThreshold: 2 });
    await q.attempt(new TooManyRequests(undefined));
    expect(q.breaker.state).toBe('closed');
    expect(q.breaker.consecutiveFailures).toBe(1);
    await q.attempt(new Error('500'));
    expect(q.breaker.state).toBe('open');
    expect(q.breaker.retryAfter).toBe(1000);
    // undefined is the reader's way to say "no period": nothing to report.
    expect(q.reports).toEqual([]);
  });

  it('keeps a period within maxOpenPeriod (5 minutes by default) and minOpenPeriod (1 s by default)', async () => {
    const hostile = quota();
    await hostile.attempt(new TooManyRequests(1e12));
    expect(hostile.breaker.retryAfter).toBe(300_000);
    const zero = quota();
    await zero.attempt(new TooManyRequests(0));
    expect(zero.breaker.retryAfter).toBe(1_000);
    const bounded = quota({ minOpenPeriod: 5_000, maxOpenPeriod: 60_000 });
    await bounded.attempt(new TooManyRequests(Infinity));
    expect(bounded.breaker.retryAfter).toBe(60_000);
    bounded.breaker.close();
    await bounded.attempt(new TooManyRequests(-3));
    expect(bounded.breaker.retryAfter).toBe(5_000);
  });

  it('reads the period from a value isFailure judged', async () => {
    const clock = manualClock();
    const get = circuit(async (status: number) => ({ status, retryAfter: 30_000 }), {
      clock,
      isFailure: (response) => response.status === 429,
      openPeriodOf: (response: { status: number; retryAfter: number }) => response.retryAfter,
    });
    expect(await get(429)).toEqual({ status: 429, retryAfter: 30_000 });
    expect(get.breaker.state).toBe('open');
    expect(get.breaker.retryAfter).toBe(30_000);
  });

  it('reports a reader that throws or returns nonsense, and counts the failure as any other', async () => {
    const q = quota({
      failureThreshold: 3,
      openPeriodOf: (failure: unknown) => {
        if (failure instanceof TooManyRequests) return '120' as unknown as number;
        throw new Error('reader broke');
      },
    });
    await q.attempt(new TooManyRequests(1));
    await q.attempt(new Error('500'));
    expect(q.breaker.state).toBe('closed');
    expect(q.breaker.consecutiveFailures).toBe(2);
    expect(q.reports.map((r) => [r.source, (r.error as Error).message])).toEqual([
      ['openPeriodOf', 'openPeriodOf must return milliseconds or undefined, got "120" (a string)'],
      ['openPeriodOf', 'reader broke'],
    ]);
  });

  it('reports a reader that returns NaN (a Retry-After that did not parse) and counts the failure as any other: the circuit does not open for good', async () => {
    const q = quota({ failureThreshold: 2, openPeriodOf: () => Number.NaN });
    await q.attempt(new TooManyRequests(1));
    expect(q.breaker.state).toBe('closed');
    expect(q.breaker.consecutiveFailures).toBe(1);
    expect(q.reports.map((r) => [r.source, (r.error as Error).message])).toEqual([['openPeriodOf', 'openPeriodOf must return milliseconds or undefined, got NaN']]);
    await q.attempt(new TooManyRequests(1));
    expect(q.breaker.state).toBe('open');
    q.clock.advance(1000);
    expect(q.breaker.state).toBe('half-open');
  });

  it('re-opens for the period a failed trial gives', async () => {
    const q = quota();
    await q.attempt(new TooManyRequests(10_000));
    q.clock.advance(10_000);
    await q.attempt(new TooManyRequests(45_000));
    expect(q.breaker.state).toBe('open');
    expect(q.breaker.retryAfter).toBe(45_000);
  });

  it('is not asked about a late failure, which opens nothing', async () => {
    const clock = manualClock();
    const asked: unknown[] = [];
    const slow = deferred<string>();
    const call = circuit(() => slow.promise, { clock, openPeriodOf: (failure) => (asked.push(failure), 60_000) });
    const pending = call().catch(() => undefined);
    call.breaker.open();
    call.breaker.close();
    slow.reject(new Error('late'));
    await pending;
    expect(asked).toEqual([]);
    expect(call.breaker.state).toBe('closed');
  });

  it('refuses invalid options, naming the option and the value', () => {
    expect(() => new CircuitBreaker({ openPeriodOf: 5 as never })).toThrow(new TypeError('openPeriodOf must be a function, got 5'));
    expect(() => new CircuitBreaker({ minOpenPeriod: -1 })).toThrow(new RangeError('minOpenPeriod must be a positive finite number of milliseconds, got -1'));
    expect(() => new CircuitBreaker({ maxOpenPeriod: Infinity })).toThrow(new RangeError('maxOpenPeriod must be a positive finite number of milliseconds, got Infinity'));
    expect(() => new CircuitBreaker({ minOpenPeriod: 10_000, maxOpenPeriod: 5_000 })).toThrow(new RangeError('maxOpenPeriod must be at least minOpenPeriod (10000), got 5000'));
    expect(() => new CircuitBreaker({ shareOpenPeriodOf: 'yes' as never })).toThrow(new TypeError('shareOpenPeriodOf must be a boolean, got "yes" (a string)'));
    const b = new CircuitBreaker();
    expect(() => b.configure({ maxOpenPeriod: 0 })).toThrow(new RangeError('maxOpenPeriod must be a positive finite number of milliseconds, got 0'));
  });
});

describe('breaker.open({ for })', () => {
  it('opens for exactly the period given, then turns half-open', () => {
    const d = driven();
    d.breaker.open({ for: 900_000 });
    expect(d.breaker.retryAfter).toBe(900_000);
    d.clock.advance(900_000);
    expect(d.breaker.state).toBe('half-open');
    d.breaker.open();
    expect(d.breaker.retryAfter).toBe(1000);
  });

  it('refuses a period that is not a positive finite number of milliseconds, and an unknown key', () => {
    const d = driven();
    expect(() => d.breaker.open({ for: -1 })).toThrow(new RangeError('open({ for }) must be a positive finite number of milliseconds, got -1'));
    expect(() => d.breaker.open({ for: '5' as never })).toThrow(new TypeError('open({ for }) must be a positive finite number of milliseconds, got "5" (a string)'));
    expect(() => d.breaker.open({ fr: 5 } as never)).toThrow(new TypeError('unknown open option "fr"'));
    expect(d.breaker.state).toBe('closed');
  });
});

describe('openPeriodOf with a shared store', () => {
  let current: ReturnType<typeof fleet> | undefined;
  afterEach(() => current?.close());

  it('keeps the open in the process that heard it by default: the fleet neither takes it in nor undoes it', async () => {
    const f = (current = fleet(2, { openPeriodOf: () => 120_000 }));
    const [p0, p1] = f.processes;
    await settle();
    p0!.dependency('fail');
    await p0!.attempt();
    await settle();
    await f.syncAll();
    await f.syncAll();
    expect(p0!.breaker.state).toBe('open');
    expect(p0!.breaker.retryAfter).toBe(120_000);
    expect(p1!.breaker.state).toBe('closed');
    expect(await p1!.attempt('b')).toBe('b');
  });

  it('shares it with every process when shareOpenPeriodOf says so, with its period', async () => {
    const f = (current = fleet(2, { openPeriodOf: () => 120_000, shareOpenPeriodOf: true }));
    const [p0, p1] = f.processes;
    await settle();
    p0!.dependency('fail');
    await p0!.attempt();
    await settle();
    await f.syncAll();
    expect(p1!.breaker.state).toBe('open');
    expect(p1!.breaker.retryAfter).toBe(120_000);
  });
});

describe('openPeriodOf and snapshots', () => {
  it('restores an open a dependency asked for with what was left of it, up to maxOpenPeriod', async () => {
    const q = quota({ registry: false });
    await q.attempt(new TooManyRequests(120_000));
    q.clock.advance(20_000);
    const saved = JSON.parse(JSON.stringify(q.breaker));
    const restored = restoreBreaker(saved, { clock: q.clock, recoveryTimeout: 1000, openPeriodOf: periodOf, registry: false });
    expect(restored.retryAfter).toBe(100_000);
    // Without openPeriodOf, this breaker's own recoveryTimeout is the longest an open may last.
    const plain = restoreBreaker(saved, { clock: q.clock, recoveryTimeout: 1000, registry: false });
    expect(plain.retryAfter).toBe(0);
  });
});
