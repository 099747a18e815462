import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { breakerOf, circuit, isCircuitOpenError, pipe, retry, timeout } from 'circuitry';

beforeEach(() => {
  vi.useFakeTimers({ now: 0 });
});
afterEach(() => {
  expect(vi.getTimerCount()).toBe(0);
  vi.useRealTimers();
});

class Upstream {
  calls = 0;
  failing = true;

  // Retry inside the breaker: the breaker sees one call per retry sequence.
  @circuit({ failureThreshold: 2, registry: false })
  @retry({ attempts: 3, wait: 10 })
  async inside(): Promise<string> {
    this.calls += 1;
    if (this.failing) throw new Error('blip');
    return 'ok';
  }

  // Retry outside the breaker: every attempt passes through it.
  @retry({ attempts: 3, wait: 10 })
  @circuit({ failureThreshold: 2, recoveryTimeout: 60_000, registry: false })
  async outside(): Promise<string> {
    this.calls += 1;
    if (this.failing) throw new Error('blip');
    return 'ok';
  }
}

describe('stacking order', () => {
  it('@circuit above @retry: one counted failure per exhausted retry sequence', async () => {
    const u = new Upstream();
    const first = u.inside().catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(100);
    await first;
    expect(u.calls).toBe(3);
    expect(breakerOf(u, 'inside').stats()).toMatchObject({ failures: 1, state: 'closed' });
    const second = u.inside().catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(100);
    await second;
    expect(u.calls).toBe(6);
    expect(breakerOf(u, 'inside').state).toBe('open');
  });

  it('@retry above @circuit: each attempt counts, and the open circuit stops the retries', async () => {
    const u = new Upstream();
    const outcome = u.outside().catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(100);
    const error = await outcome;
    expect(u.calls).toBe(2); // the second failure opened the circuit; retrying into it was pointless
    expect(isCircuitOpenError(error)).toBe(true);
    expect(breakerOf(u, 'outside').stats()).toMatchObject({ failures: 2, rejections: 1 });
  });

  it('keeps types and behaviour through pipe', async () => {
    let calls = 0;
    const fetchUser = async (id: string): Promise<{ id: string }> => {
      calls += 1;
      if (calls < 3) throw new Error('blip');
      return { id };
    };
    const getUser = pipe(
      fetchUser,
      (f) => timeout(f, 1000),
      (f) => retry(f, { attempts: 3, wait: 10 }),
      (f) => circuit(f, { registry: false, fallback: () => null }),
    );
    const result = getUser('42');
    await vi.advanceTimersByTimeAsync(100);
    const user: { id: string } | null = await result;
    expect(user).toEqual({ id: '42' });
    expect(getUser.breaker.stats()).toMatchObject({ successes: 1, failures: 0 });
    expect(() => pipe(fetchUser, 'retry' as never)).toThrow(new TypeError('pipe layer 1 must be a function, got string'));
  });
});
