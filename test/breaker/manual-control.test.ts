// Control by hand: isolate, disable and enable, reset.
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
    expect(d.breaker.consecutiveFailures).toBe(0);
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
    expect(breaker.consecutiveFailures).toBe(0);
    await failing().catch(() => undefined);
    expect(breaker.state).toBe('closed'); // one failure since the reset, threshold 2
  });
});
