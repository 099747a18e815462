import { describe, expect, expectTypeOf, it } from 'vitest';
import { CircuitBreaker, CircuitOpenError, callSignal, circuit, circuitSync, retry } from 'circuitry';
import { deferred, manualClock } from '../helpers/manual-clock.js';

describe('breaker.execute', () => {
  it('runs the function and resolves with its result, typed as the function returns', async () => {
    const breaker = new CircuitBreaker({ registry: false });
    const result = breaker.execute(async () => ({ id: 7 }));
    expectTypeOf(result).toEqualTypeOf<Promise<{ id: number }>>();
    expect(await result).toEqual({ id: 7 });
    expect(breaker.stats().successes).toBe(1);
  });

  it('counts failures, opens, and then refuses without calling the function until the recovery time is up', async () => {
    const clock = manualClock();
    const breaker = new CircuitBreaker({ failureThreshold: 2, recoveryTimeout: 1_000, clock, registry: false });
    let calls = 0;
    const failing = async () => {
      calls += 1;
      throw new Error('down');
    };
    await expect(breaker.execute(failing)).rejects.toThrow('down');
    await expect(breaker.execute(failing)).rejects.toThrow('down');
    expect(breaker.state).toBe('open');
    const refused = await breaker.execute(failing).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(CircuitOpenError);
    expect(calls).toBe(2);
    clock.advance(1_000);
    expect(await breaker.execute(async () => 'back')).toBe('back');
    expect(breaker.state).toBe('closed');
  });

  it('turns a synchronous throw and a plain value into a rejection and a resolution', async () => {
    const breaker = new CircuitBreaker({ registry: false });
    await expect(
      breaker.execute(() => {
        throw new TypeError('sync');
      }),
    ).rejects.toThrow('sync');
    expect(await breaker.execute(() => 3)).toBe(3);
    expect(breaker.stats()).toMatchObject({ successes: 1, failures: 1 });
  });

  it('shares one count with the functions circuit() guards with the same breaker', async () => {
    const breaker = new CircuitBreaker({ failureThreshold: 2, registry: false });
    const guarded = circuit(async () => {
      throw new Error('x');
    }, breaker);
    await guarded().catch(() => undefined);
    await breaker.execute(async () => Promise.reject(new Error('y'))).catch(() => undefined);
    expect(breaker.state).toBe('open');
  });

  it('gives the function a callSignal(): one that never aborts, or the enclosing retry\'s', async () => {
    const breaker = new CircuitBreaker({ registry: false });
    const alone = await breaker.execute(() => callSignal());
    expect(alone.aborted).toBe(false);
    const controller = new AbortController();
    let underRetry: AbortSignal | undefined;
    const gate = deferred<void>();
    const outcome = retry(() => breaker.execute(() => ((underRetry = callSignal()), gate.promise)), { attempts: 1, signal: controller.signal })().catch((e: unknown) => e);
    controller.abort(new Error('stop'));
    expect(underRetry!.aborted).toBe(true);
    expect(underRetry!.reason).toEqual(new Error('stop'));
    gate.resolve();
    await outcome;
    // It settled as a success after all: the dependency answered.
    expect(breaker.stats()).toMatchObject({ successes: 2, failures: 0, aborted: 0 });
  });

  it('refuses something that is not a function with a TypeError naming execute', () => {
    const breaker = new CircuitBreaker({ registry: false });
    expect(() => breaker.execute('run' as never)).toThrow(/execute\(fn\) must be a function, got "run"/);
  });

  it('counts a plain value a guarded function returns as a success before the promise is handed back', async () => {
    const guarded = circuit(() => 7 as unknown as Promise<number>, { registry: false });
    const result = guarded();
    expect(guarded.breaker.stats().successes).toBe(1);
    await expect(result).resolves.toBe(7);
    const reply = { status: 200 };
    const object = circuit(() => reply as unknown as Promise<typeof reply>, { registry: false });
    const objectResult = object();
    expect(object.breaker.stats().successes).toBe(1);
    await expect(objectResult).resolves.toBe(reply);
    const withFallback = circuit(() => 8 as unknown as Promise<number>, { registry: false, fallback: () => 0 });
    const served = withFallback();
    expect(withFallback.breaker.stats().successes).toBe(1);
    await expect(served).resolves.toBe(8);
  });

  it('resolves null and undefined returned by a guarded function as they are', async () => {
    for (const value of [null, undefined]) {
      const guarded = circuit(() => value as unknown as Promise<null>, { registry: false });
      await expect(guarded()).resolves.toBe(value);
      expect(guarded.breaker.stats().successes).toBe(1);
    }
  });

  it('waits for a thenable a guarded function returns, a callable one included, and counts its outcome', async () => {
    const boom = new Error('boom');
    const rejecting = { then: (_ok: unknown, fail: (e: unknown) => void) => fail(boom) };
    const guarded = circuit(() => rejecting as unknown as Promise<never>, { registry: false, failureThreshold: 5 });
    await expect(guarded()).rejects.toBe(boom); // no fallback: the caller gets the error itself
    expect(guarded.breaker.stats()).toMatchObject({ failures: 1, fallbacks: 0 });

    const callable = Object.assign(() => undefined, { then: (_ok: unknown, fail: (e: unknown) => void) => fail(boom) });
    const viaFunction = circuit(() => callable as unknown as Promise<string>, { registry: false });
    await expect(viaFunction()).rejects.toBe(boom);
    expect(viaFunction.breaker.stats()).toMatchObject({ successes: 0, failures: 1 });
  });

  it('names the function that returned a Promise to circuitSync, so the misuse can be found', () => {
    const guarded = circuitSync(function loadUser(): unknown {
      return Promise.resolve('user');
    } as () => string);
    expect(() => guarded()).toThrow(/^circuitSync: "loadUser" returned a Promise/);
    expect(guarded.breaker.stats()).toMatchObject({ successes: 0, failures: 0 });
  });
});
