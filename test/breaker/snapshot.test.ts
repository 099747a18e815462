import { describe, expect, it } from 'vitest';
import type { BreakerRegistry } from 'circuitry';
import { CircuitBreaker, CircuitRegistry, circuit, countWindow, restoreBreaker, timeWindow } from 'circuitry';
import type { BreakerOptions } from 'circuitry';
import { manualClock } from '../helpers/manual-clock.js';

function breakerAt(t: number, options: BreakerOptions & { initialState?: unknown } = {}) {
  const clock = manualClock(t);
  const { initialState, ...rest } = options;
  const settings = { clock, recoveryTimeout: 1000, registry: false as const, ...(options.policy ? {} : { failureThreshold: 2 }), ...rest };
  const breaker = initialState === undefined ? new CircuitBreaker(settings) : restoreBreaker(initialState as never, settings);
  const call = circuit(async (ok: boolean) => {
    if (!ok) throw new Error('failed');
    return 'ok';
  }, breaker);
  const run = async (...oks: boolean[]) => {
    for (const ok of oks) await call(ok).catch(() => undefined);
  };
  return { clock, breaker, call, run };
}

/** Through JSON, as a snapshot travels. */
const roundTrip = (b: CircuitBreaker) => JSON.parse(JSON.stringify(b));

describe('snapshots', () => {
  it('restores a closed circuit with its count', async () => {
    const a = breakerAt(0);
    await a.run(false);
    const b = breakerAt(0, { initialState: roundTrip(a.breaker) });
    expect(b.breaker.consecutiveFailures).toBe(1);
    await b.run(false);
    expect(b.breaker.state).toBe('open');
  });

  it('restores an open circuit with its remaining open time, measured from when it opened', async () => {
    const a = breakerAt(10_000);
    await a.run(false, false);
    a.clock.advance(300);
    const snapshot = roundTrip(a.breaker);
    expect(snapshot).toMatchObject({ version: 2, state: 'open', openedAt: 10_000, openPeriod: 1000, openings: 1 });
    const b = breakerAt(10_300, { initialState: snapshot });
    expect(b.breaker.state).toBe('open');
    expect(b.breaker.retryAfter).toBe(700);
    b.clock.advance(700);
    expect(b.breaker.state).toBe('half-open');
  });

  it('keeps an open restored with openedAt in the future for at most its openPeriod', () => {
    const t = 1_000_000;
    const snapshot = { version: 2, name: 'x', state: 'open', consecutiveFailures: 0, openings: 1, policy: null, openedAt: t + 3_600_000, openPeriod: 1000 };
    const b = breakerAt(t, { initialState: snapshot });
    expect(b.breaker.state).toBe('open');
    expect(b.breaker.retryAfter).toBe(1000);
    b.clock.advance(1000);
    expect(b.breaker.state).toBe('half-open');
  });

  it('never keeps a restored circuit open longer than its own recoveryTimeout gives that opening', () => {
    const t = 1_000_000;
    const snapshot = (openPeriod: number, openings = 1) => ({ version: 2, name: 'x', state: 'open', consecutiveFailures: 0, openings, policy: null, openedAt: t, openPeriod });
    // An untrusted file asking for a day, or for as long as a number goes: this breaker's 1 s.
    expect(breakerAt(t, { initialState: snapshot(86_400_000) }).breaker.retryAfter).toBe(1000);
    expect(breakerAt(t, { initialState: snapshot(Number.MAX_VALUE) }).breaker.retryAfter).toBe(1000);
    // A shorter period saved is kept; a growing recoveryTimeout is read at the saved opening.
    expect(breakerAt(t, { initialState: snapshot(400) }).breaker.retryAfter).toBe(400);
    const backoff = breakerAt(t, { initialState: snapshot(86_400_000, 3), recoveryTimeout: (n: number) => 1000 * 2 ** (n - 1) });
    expect(backoff.breaker.retryAfter).toBe(4000);
    // A half-open trial's slot lapses no later either.
    const half = { version: 2, name: 'x', state: 'half-open', consecutiveFailures: 0, openings: 1, policy: null, successes: 0, trialLapse: 86_400_000 };
    const h = breakerAt(t, { initialState: half, halfOpenMaxCalls: 1 });
    void h.call(true);
    expect(h.breaker.retryAfter).toBe(1000);
  });

  it('counts a restored open from the restore, not from the first look after it', () => {
    const t = 1_000_000;
    const snapshot = { version: 2, name: 'x', state: 'open', consecutiveFailures: 0, openings: 1, policy: null, openedAt: t + 3_600_000, openPeriod: 1000 };
    const b = breakerAt(t, { initialState: snapshot });
    b.clock.advance(1000);
    expect(b.breaker.state).toBe('half-open');
  });

  it('restores half-open, isolated and disabled circuits', async () => {
    const a = breakerAt(0);
    await a.run(false, false);
    a.clock.advance(1000);
    expect(a.breaker.state).toBe('half-open');
    const half = breakerAt(1000, { initialState: roundTrip(a.breaker) });
    expect(half.breaker.state).toBe('half-open');
    await half.run(true);
    expect(half.breaker.state).toBe('closed');

    a.breaker.isolate();
    const isolated = breakerAt(0, { initialState: roundTrip(a.breaker) });
    expect(isolated.breaker.state).toBe('isolated');
    const release = isolated.breaker.isolate(); // a hold taken on the restored isolation
    release();
    expect(isolated.breaker.state).toBe('half-open');
    const again = breakerAt(0, { initialState: roundTrip(a.breaker) });
    again.breaker.reset();
    expect(again.breaker.state).toBe('closed');

    a.breaker.disable();
    expect(breakerAt(0, { initialState: roundTrip(a.breaker) }).breaker.state).toBe('disabled');
  });

  it('carries window counts of both window policies', async () => {
    const count = { policy: countWindow({ size: 4, failureRate: 0.5, minimumCalls: 4 }) } as const;
    const a = breakerAt(0, count);
    await a.run(false, true, true);
    const b = breakerAt(0, { ...count, initialState: roundTrip(a.breaker) });
    await b.run(false);
    expect(b.breaker.state).toBe('open');

    const time = { policy: timeWindow({ duration: 1000, failureRate: 0.5, minimumCalls: 3 }) } as const;
    const c = breakerAt(50_000, time);
    await c.run(false, true);
    const d = breakerAt(50_000, { ...time, initialState: roundTrip(c.breaker) });
    await d.run(true);
    expect(d.breaker.state).toBe('closed');
    const e = breakerAt(50_000, { ...time, initialState: roundTrip(c.breaker) });
    await e.run(false);
    expect(e.breaker.state).toBe('open');
  });

  const valid = { version: 2, name: 'x', state: 'open', consecutiveFailures: 2, openings: 1, policy: null, openedAt: 5, openPeriod: 100 };
  it.each([
    ['not an object', 'open', TypeError, 'snapshot must be an object from breaker.toJSON(), got "open" (a string)'],
    ['an unknown state', { ...valid, state: 'ajar' }, TypeError, 'snapshot.state must be one of closed, disabled, open, half-open, isolated, got "ajar" (a string)'],
    ['a missing field', { ...valid, openPeriod: undefined }, TypeError, 'snapshot lacks "openPeriod"'],
    ['an extra field', { ...valid, extra: 1 }, TypeError, 'snapshot has an unknown key "extra"'],
    ['a field of another state', { ...valid, state: 'closed' }, TypeError, 'snapshot has an unknown key "openedAt"'],
    ['a __proto__ key', JSON.parse('{"__proto__": {"state": "closed"}, "version": 1}'), TypeError, 'snapshot.state must be one of closed, disabled, open, half-open, isolated, got undefined'],
    ['another version', { ...valid, version: 3 }, RangeError, 'snapshot.version must be 2 (or 1), got 3'],
    ['a negative count', { ...valid, consecutiveFailures: -1 }, RangeError, 'snapshot.consecutiveFailures must be an integer of at least 0, got -1'],
    ['a fractional count', { ...valid, openings: 1.5 }, RangeError, 'snapshot.openings must be an integer of at least 0, got 1.5'],
    ['a time that is not a number', { ...valid, openedAt: Infinity }, RangeError, 'snapshot.openedAt must be a finite number, got null'],
    ['a zero open time', { ...valid, openPeriod: 0 }, RangeError, 'snapshot.openPeriod must be a positive finite number, got 0'],
    ['negative holds', { ...valid, state: 'isolated', openedAt: undefined, openPeriod: undefined, holds: -1 }, RangeError, 'snapshot.holds must be an integer of at least 0, got -1'],
    ['window counts for the default policy', { ...valid, policy: { outcomes: [1] } }, TypeError, "snapshot.policy holds window counts, but this breaker's policy cannot restore them"],
  ])('refuses %s', (_what, snapshot, type, message) => {
    const clean = typeof snapshot === 'object' ? JSON.parse(JSON.stringify(snapshot)) : snapshot;
    const make = () => restoreBreaker(clean, { registry: false });
    expect(make).toThrow(type);
    expect(make).toThrow(message);
  });

  it('names the breaker after the snapshot unless told otherwise', async () => {
    const a = breakerAt(0);
    await a.run(false);
    const registry = new CircuitRegistry();
    const payments = restoreBreaker({ ...roundTrip(a.breaker), name: 'payments' }, { registry });
    expect(payments.name).toBe('payments');
    expect(registry.get('payments')).toBe(payments);
    expect(restoreBreaker({ ...roundTrip(a.breaker), name: 'payments' }, { name: 'refunds', registry }).name).toBe('refunds');
    // A refused snapshot leaves nothing registered.
    expect(() => restoreBreaker({ ...roundTrip(a.breaker), name: 'broken', consecutiveFailures: -1 }, { registry })).toThrow(RangeError);
    expect(registry.get('broken')).toBeUndefined();
    expect(a.breaker.consecutiveFailures).toBe(1);
  });

  it('registers a restored breaker in a registry of one\'s own, as new CircuitBreaker does', () => {
    const registered: CircuitBreaker[] = [];
    const own: BreakerRegistry = { register: (breaker) => void registered.push(breaker) };
    const made = new CircuitBreaker({ name: 'own', registry: own });
    const restored = restoreBreaker(made.toJSON(), { registry: own });
    expect(registered).toEqual([made, restored]);
    expect(() => restoreBreaker(made.toJSON(), { registry: {} as never })).toThrow(
      'registry must be a BreakerRegistry or false, got an object',
    );
  });

  it('restores a version 1 snapshot (0.1.0), whose fields had their older names', () => {
    const clock = { now: () => 1_000 };
    const v1 = { version: 1, name: 'old', state: 'open', failures: 2, openings: 1, policy: null, openedAt: 900, openFor: 500 };
    const restored = restoreBreaker(v1 as never, { recoveryTimeout: 500, registry: false, clock });
    expect(restored.state).toBe('open');
    expect(restored.retryAfter).toBe(400);
    expect(restored.consecutiveFailures).toBe(2);
    expect(restored.toJSON()).toEqual({ version: 2, name: 'old', state: 'open', consecutiveFailures: 2, openings: 1, policy: null, openedAt: 900, openPeriod: 500 });
  });

  it('refuses window counts that do not fit the policy', () => {
    const policy = countWindow({ size: 2 });
    const bad = { version: 2, name: 'x', state: 'closed', consecutiveFailures: 0, openings: 0, policy: { outcomes: [1, 0, 1] } };
    expect(() => restoreBreaker(bad as never, { policy, registry: false })).toThrow(
      'countWindow snapshot outcomes must be an array of at most 2 values 0 to 3, got an array',
    );
    const slices = { ...bad, policy: { buckets: [[5, 1, 2, 0]] } };
    expect(() => restoreBreaker(slices as never, { policy: timeWindow({ duration: 100 }), registry: false })).toThrow(TypeError);
    const proto = { ...bad, policy: JSON.parse('{"outcomes": [], "__proto__": []}') };
    expect(() => restoreBreaker(proto as never, { policy, registry: false })).toThrow('countWindow snapshot has an unknown key "__proto__"');
  });
});
