// The cancellable call path's less travelled ways: a call with a signal refused while the fleet
// is asked for the trial lease, refused with a fallback, run under an enclosing signal with a
// fallback, aborted by the function itself, a function that throws before returning, and a
// circuitSync under an enclosing signal.
import { afterEach, describe, expect, it } from 'vitest';
import { CircuitBreaker, callSignal, circuit, circuitSync, retry } from 'circuitry';
import { flush } from '../helpers/manual-clock.js';
import { fleet, settle } from '../store/fleet.js';

let current: ReturnType<typeof fleet> | undefined;
afterEach(() => {
  current?.close();
  current = undefined;
});

describe('circuit(fn, { signal }): the call paths a caller can cancel', () => {
  it('a call with a signal waits for the fleet\'s trial lease answer too, and runs as the trial', async () => {
    const f = (current = fleet(2));
    const [p0, p1] = f.processes;
    p0!.dependency('fail');
    for (let i = 0; i < 3; i++) await p0!.attempt();
    await settle();
    await f.syncAll();
    f.advance(1000);
    const ran: string[] = [];
    const withSignal = circuit(async (tag: string, _signal: AbortSignal) => (ran.push(tag), tag), {
      breaker: p1!.breaker,
      signal: (_tag: string, signal: AbortSignal) => signal,
    });
    expect(await withSignal('trial', new AbortController().signal)).toBe('trial');
    expect(ran).toEqual(['trial']);
    expect(p1!.breaker.state).toBe('closed');
  });

  it('a refused call with a signal is served by the fallback, as one without', async () => {
    const breaker = new CircuitBreaker({ registry: false });
    breaker.isolate();
    const served: string[] = [];
    const get = circuit(async (_signal: AbortSignal) => 'ran', {
      breaker,
      signal: (signal: AbortSignal) => signal,
      fallback: (error) => (served.push((error as Error).name), 'fallback'),
    });
    expect(await get(new AbortController().signal)).toBe('fallback');
    expect(served).toEqual(['CircuitIsolatedError']);
    expect(breaker.stats()).toMatchObject({ rejections: 1, fallbacks: 1 });
  });

  it('under an enclosing signal (retry with a signal), a circuit with a fallback lets the caller go at once and counts the abort, serving no fallback', async () => {
    const served: unknown[] = [];
    const guarded = circuit(
      () => {
        const signal = callSignal();
        return new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason)));
      },
      { registry: false, failureThreshold: 1, fallback: (error) => (served.push(error), 'fallback') },
    );
    const controller = new AbortController();
    const call = retry(guarded, { attempts: 1, signal: () => controller.signal })();
    controller.abort();
    await expect(call).rejects.toMatchObject({ name: 'AbortError' });
    await flush();
    expect(guarded.breaker.stats()).toMatchObject({ failures: 0, aborted: 1, fallbacks: 0 });
    expect(served).toEqual([]);
    expect(guarded.breaker.state).toBe('closed');
  });

  it('a function that aborts its caller\'s signal itself, before returning, lets the caller go at once', async () => {
    const controller = new AbortController();
    const reason = new Error('gave up');
    const get = circuit(
      (_signal: AbortSignal) => {
        controller.abort(reason);
        return new Promise(() => undefined);
      },
      { registry: false, signal: (signal: AbortSignal) => signal },
    );
    let outcome: unknown = 'pending';
    get(controller.signal).catch((error: unknown) => (outcome = error));
    await flush();
    expect(outcome).toBe(reason);
  });

  it('a function that throws before returning a promise fails the call under a signal too, and the fallback serves it', async () => {
    const boom = new Error('threw at once');
    const served: unknown[] = [];
    const plain = circuit(
      (_signal: AbortSignal): Promise<string> => {
        throw boom;
      },
      { registry: false, failureThreshold: 1, signal: (signal: AbortSignal) => signal },
    );
    await expect(plain(new AbortController().signal)).rejects.toBe(boom);
    expect(plain.breaker.stats()).toMatchObject({ successes: 0, failures: 1 });
    expect(plain.breaker.state).toBe('open');
    const withFallback = circuit(
      (_signal: AbortSignal): Promise<string> => {
        throw boom;
      },
      { registry: false, signal: (signal: AbortSignal) => signal, fallback: (error) => (served.push(error), 'fallback') },
    );
    expect(await withFallback(new AbortController().signal)).toBe('fallback');
    expect(served).toEqual([boom]);
  });

  it('circuitSync, with no signal option of its own, does not run a call under an enclosing signal that has aborted already, as circuit does', async () => {
    const reason = new Error('gave up');
    const syncRuns: number[] = [];
    const asyncRuns: number[] = [];
    const double = circuitSync((n: number) => (syncRuns.push(n), n * 2), { registry: false });
    const triple = circuit(async (n: number) => (asyncRuns.push(n), n * 3), { registry: false });
    const outcomes: unknown[] = [];
    const caller = new AbortController();
    const outer = circuit(
      async (_signal: AbortSignal) => {
        outcomes.push(double(1));
        // The function gives up on its own call, then calls on before returning.
        caller.abort(reason);
        try {
          outcomes.push(double(2));
        } catch (error) {
          outcomes.push(error);
        }
        tripled = triple(3).catch((error: unknown) => error);
      },
      { registry: false, signal: (signal: AbortSignal) => signal },
    );
    let tripled: Promise<unknown> | undefined;
    await outer(caller.signal).catch(() => undefined);
    outcomes.push(await tripled);
    expect(outcomes).toEqual([2, reason, reason]);
    expect(syncRuns).toEqual([1]);
    expect(asyncRuns).toEqual([]);
    expect(double.breaker.stats()).toMatchObject({ successes: 1, aborted: 1, rejections: 0 });
    expect(triple.breaker.stats()).toMatchObject({ successes: 0, aborted: 1 });
  });
});
