import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { retry, retryBudget } from 'circuitry';
import { manualClock } from '../helpers/manual-clock.js';

beforeEach(() => {
  vi.useFakeTimers({ now: 0 });
});
afterEach(() => {
  expect(vi.getTimerCount()).toBe(0);
  vi.useRealTimers();
});

class Down extends Error {}

/** A dependency that fails every call, counting them. */
function down() {
  const state = { calls: 0, errors: [] as Down[] };
  const fn = async (id: string): Promise<string> => {
    state.calls += 1;
    const error = new Down(`down ${state.calls} (${id})`);
    state.errors.push(error);
    throw error;
  };
  return { fn, state };
}

describe('retryBudget', () => {
  it('allows minPerSecond × ttl retries with no calls at all (the floor)', () => {
    const budget = retryBudget({ ratio: 0.2, minPerSecond: 1, ttl: 3_000, clock: manualClock() });
    expect(budget.stats().available).toBe(3);
    expect([budget.tryWithdraw(), budget.tryWithdraw(), budget.tryWithdraw(), budget.tryWithdraw()]).toEqual([true, true, true, false]);
    expect(budget.stats()).toEqual({ deposits: 0, withdrawals: 3, refused: 1, available: 0 });
  });

  it('adds ratio × the calls of the last ttl ms to the floor', () => {
    const budget = retryBudget({ ratio: 0.25, minPerSecond: 0, ttl: 10_000, clock: manualClock() });
    for (let i = 0; i < 3; i++) budget.deposit();
    expect(budget.tryWithdraw()).toBe(false); // 0.75 of a retry is none
    budget.deposit();
    expect(budget.tryWithdraw()).toBe(true);
    expect(budget.tryWithdraw()).toBe(false);
    for (let i = 0; i < 8; i++) budget.deposit();
    expect(budget.stats()).toEqual({ deposits: 12, withdrawals: 1, refused: 2, available: 2 });
  });

  it('forgets calls and retries older than ttl, slice by slice', () => {
    const clock = manualClock(0);
    const budget = retryBudget({ ratio: 1, minPerSecond: 0, ttl: 10_000, clock });
    for (let i = 0; i < 4; i++) budget.deposit();
    clock.advance(5_000);
    for (let i = 0; i < 2; i++) budget.deposit();
    expect(budget.tryWithdraw()).toBe(true);
    expect(budget.stats().available).toBe(5);
    clock.advance(5_000); // the first 4 calls are now 10 s old
    expect(budget.stats().available).toBe(1);
    clock.advance(5_000); // and now everything is
    expect(budget.stats().available).toBe(0);
    clock.advance(3_600_000); // a long idle gap expires nothing twice
    budget.deposit();
    expect(budget.stats().available).toBe(1);
  });

  it('keeps its counts when the clock steps back or throws', () => {
    const clock = manualClock(50_000);
    let broken = false;
    const budget = retryBudget({ ratio: 1, minPerSecond: 0, ttl: 1_000, clock: { now: () => (broken ? Number.NaN : clock.now()) } });
    budget.deposit();
    clock.set(10_000);
    expect(budget.stats().available).toBe(1);
    broken = true;
    budget.deposit();
    expect(budget.stats().available).toBe(2);
  });

  it('checks its options, naming the option and the value', () => {
    expect(() => retryBudget({ ratio: -0.1 })).toThrow(new RangeError('ratio must be a finite number, 0 or more, got -0.1'));
    expect(() => retryBudget({ minPerSecond: '10' as never })).toThrow(new TypeError('minPerSecond must be a finite number, 0 or more, got "10" (a string)'));
    expect(() => retryBudget({ ttl: 0 })).toThrow(new RangeError('ttl must be a positive finite number of milliseconds, got 0'));
    expect(() => retryBudget({ clock: {} as never })).toThrow(new TypeError('clock must be an object with a now() method, got an object'));
    expect(() => retryBudget({ percent: 20 } as never)).toThrow(new TypeError('unknown retryBudget option "percent"'));
    expect(() => retry(async () => 1, { budget: { ratio: 0.2 } as never })).toThrow(new TypeError('budget must be a retry budget from retryBudget(), got an object'));
  });
});

describe('retry with a budget', () => {
  it('a retry the budget refuses fails with the last error itself', async () => {
    const budget = retryBudget({ ratio: 0, minPerSecond: 0.1, ttl: 10_000, clock: manualClock() }); // one retry
    const d = down();
    const get = retry(d.fn, { attempts: 5, wait: 10, budget });
    const first = get('a').catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(100);
    const error = (await first) as Down & { attempts: number };
    expect(d.state.calls).toBe(2); // the first try, and the one retry the budget held
    expect(error).toBe(d.state.errors[1]);
    expect(error.attempts).toBe(2);
    expect(budget.stats()).toMatchObject({ deposits: 1, withdrawals: 1, refused: 1 });
  });

  it('is shared by two wrappers that call the same dependency', async () => {
    const clock = manualClock();
    const budget = retryBudget({ ratio: 0.5, minPerSecond: 0, ttl: 10_000, clock });
    const d = down();
    const getUser = retry(d.fn, { attempts: 3, wait: 10, budget });
    const listUsers = retry(() => d.fn('list'), { attempts: 3, wait: 10, budget });
    // Four calls earn two retries between them, whichever wrapper spends them.
    const outcomes = [getUser('a'), listUsers(), getUser('b'), listUsers()].map((p) => p.catch((e: unknown) => e));
    await vi.advanceTimersByTimeAsync(100);
    await Promise.all(outcomes);
    expect(d.state.calls).toBe(4 + 2);
    expect(budget.stats()).toMatchObject({ deposits: 4, withdrawals: 2, refused: 4 });
  });

  it('spends nothing on a call that succeeds or an error retryOn rejects', async () => {
    const budget = retryBudget({ clock: manualClock() });
    const ok = retry(async () => 'fine', { budget });
    const fatal = retry(
      async () => {
        throw new Down('fatal');
      },
      { budget, retryOn: () => false },
    );
    await ok();
    await expect(fatal()).rejects.toThrow('fatal');
    expect(budget.stats()).toMatchObject({ deposits: 2, withdrawals: 0, refused: 0 });
  });

  it('a refused retry on a rejected result returns that result', async () => {
    const budget = retryBudget({ ratio: 0, minPerSecond: 0, clock: manualClock() });
    let calls = 0;
    const get = retry(async () => ({ status: 503, call: ++calls }), { attempts: 3, wait: 10, budget, retryOnResult: (r) => r.status === 503 });
    await expect(get()).resolves.toEqual({ status: 503, call: 1 });
    expect(budget.stats().refused).toBe(1);
  });
});
