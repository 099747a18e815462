import { afterEach, describe, expect, it, vi } from 'vitest';
import { CircuitBreaker, circuit, countWindow } from 'circuitry';
import type { CircuitEvents } from 'circuitry';
import { driven } from '../helpers/drive.js';
import { manualClock } from '../helpers/manual-clock.js';

afterEach(() => {
  vi.restoreAllMocks();
});

describe('call durations', () => {
  it('come from an injected clock, so a test drives them as it drives states', async () => {
    const d = driven();
    const events: CircuitEvents['success'][] = [];
    d.breaker.on('success', (e) => events.push(e));
    await d.guarded('ok', 7);
    expect(events).toEqual([{ duration: 7, weight: 1 }]);
  });

  it('come from performance.now() under the default clock, not from Date.now()', async () => {
    const readings = [1_000.25, 1_012.75];
    const now = vi.spyOn(performance, 'now').mockImplementation(() => readings.shift() ?? 0);
    const dateNow = vi.spyOn(Date, 'now');
    const guarded = circuit(async () => 'ok', { registry: false });
    const durations: number[] = [];
    guarded.breaker.on('success', (e) => durations.push(e.duration));
    await guarded();
    expect(durations).toEqual([12.5]);
    expect(now).toHaveBeenCalledTimes(2);
    expect(dateNow).not.toHaveBeenCalled();
  });

  it('are not measured while nothing needs them: the closed path reads no clock', async () => {
    const clock = manualClock();
    const guarded = circuit(async () => 'ok', { registry: false, clock });
    const now = vi.spyOn(performance, 'now');
    const before = clock.reads;
    for (let i = 0; i < 5; i++) await guarded();
    expect(clock.reads).toBe(before);
    expect(now).not.toHaveBeenCalled();
    // A listener that does not need durations (rejected) times nothing either.
    guarded.breaker.on('rejected', () => undefined);
    await guarded();
    expect(clock.reads).toBe(before);
  });

  it('with measureDurations { sampleRate }, time one call in N and give it weight N; the others carry NaN and weight 0', async () => {
    const d = driven({ measureDurations: { sampleRate: 0.25 } });
    const events: CircuitEvents['success'][] = [];
    d.breaker.on('success', (e) => events.push(e));
    for (let i = 0; i < 9; i++) await d.guarded('ok', 10 + i);
    expect(events.map((e) => e.weight)).toEqual([4, 0, 0, 0, 4, 0, 0, 0, 4]);
    expect(events.map((e) => e.duration)).toEqual([10, NaN, NaN, NaN, 14, NaN, NaN, NaN, 18]);
    expect(d.breaker.stats().successes).toBe(9);
  });

  it('sample failures and ignored errors the same way, on one count of calls per breaker', async () => {
    class Ignored extends Error {}
    const clock = manualClock();
    const breaker = new CircuitBreaker({ registry: false, clock, failureThreshold: 100, expectedError: (e) => !(e instanceof Ignored), measureDurations: { sampleRate: 0.5 } });
    const weights: [string, number][] = [];
    breaker.on('failure', (e) => weights.push(['failure', e.weight]));
    breaker.on('ignored', (e) => weights.push(['ignored', e.weight]));
    const fail = circuit(async () => Promise.reject(new Error('down')), breaker);
    const skip = circuit(async () => Promise.reject(new Ignored('skip')), breaker);
    await fail().catch(() => undefined);
    await skip().catch(() => undefined);
    await skip().catch(() => undefined);
    await fail().catch(() => undefined);
    expect(weights).toEqual([['failure', 2], ['ignored', 0], ['ignored', 2], ['failure', 0]]);
  });

  it('with measureDurations: false, time nothing even for a success listener', async () => {
    const d = driven({ measureDurations: false });
    const events: CircuitEvents['success'][] = [];
    d.breaker.on('success', (e) => events.push(e));
    const before = d.clock.reads;
    await d.guarded('ok', 5);
    expect(events).toEqual([{ duration: NaN, weight: 0 }]);
    expect(d.clock.reads).toBe(before);
  });

  it('are measured for every call under slowCallDuration, whatever the sample rate: the slow-call rule judges each call', async () => {
    const d = driven({ policy: countWindow({ size: 10, slowCallRate: 0.5, minimumCalls: 10 }), slowCallDuration: 50, measureDurations: { sampleRate: 0.1 } });
    const events: CircuitEvents['success'][] = [];
    d.breaker.on('success', (e) => events.push(e));
    await d.guarded('ok', 60);
    await d.guarded('ok', 70);
    expect(events).toEqual([{ duration: 60, weight: 1 }, { duration: 70, weight: 1 }]);
    expect(d.breaker.stats().window).toMatchObject({ calls: 2, slowCalls: 2 });
  });

  it('follow configure: a new sample rate applies from the next call', async () => {
    const d = driven();
    const weights: number[] = [];
    d.breaker.on('success', (e) => weights.push(e.weight));
    await d.guarded('ok', 1);
    d.breaker.configure({ measureDurations: false });
    await d.guarded('ok', 1);
    d.breaker.configure({ measureDurations: true });
    await d.guarded('ok', 1);
    expect(weights).toEqual([1, 0, 1]);
  });

  it('time the very next call when configure goes from a sample to every call', async () => {
    const d = driven({ measureDurations: { sampleRate: 0.25 } });
    const weights: number[] = [];
    d.breaker.on('success', (e) => weights.push(e.weight));
    await d.guarded('ok', 1);
    await d.guarded('ok', 1);
    d.breaker.configure({ measureDurations: true });
    await d.guarded('ok', 1);
    expect(weights).toEqual([4, 0, 1]);
  });

  it('keep a call that was timed when it started, with weight 1, when durations are switched off before it settles', async () => {
    const clock = manualClock();
    let finish: (value: string) => void = () => undefined;
    const guarded = circuit(() => new Promise<string>((resolve) => (finish = resolve)), { clock, registry: false });
    const events: CircuitEvents['success'][] = [];
    guarded.breaker.on('success', (e) => events.push(e));
    const call = guarded();
    guarded.breaker.configure({ measureDurations: false });
    clock.advance(30);
    finish('ok');
    await call;
    expect(events).toEqual([{ duration: 30, weight: 1 }]);
  });

  it.each([
    [{ measureDurations: 'yes' }, TypeError, /measureDurations options must be true, false or \{ sampleRate \}, got "yes"/],
    [{ measureDurations: { sampleRate: 0 } }, RangeError, /measureDurations.sampleRate must be a number above 0 and at most 1, got 0/],
    [{ measureDurations: { sampleRate: 1.5 } }, RangeError, /measureDurations.sampleRate must be a number above 0 and at most 1, got 1.5/],
    [{ measureDurations: { rate: 0.5 } }, TypeError, /unknown measureDurations option "rate"/],
    [{ measureDurations: false, policy: countWindow({ size: 10 }), slowCallDuration: 10 }, TypeError, /measureDurations: false cannot be combined with slowCallDuration/],
  ])('refuses %o naming the option and the value', (options, Type, message) => {
    expect(() => new CircuitBreaker({ registry: false, ...(options as object) })).toThrow(Type);
    expect(() => new CircuitBreaker({ registry: false, ...(options as object) })).toThrow(message);
  });
});
