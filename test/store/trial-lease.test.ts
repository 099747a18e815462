import { describe, expect, it } from 'vitest';
import { answered, asked, end, granted, holds, mayAsk, newLease, refused, waitFor } from '../../src/store/trial-lease.js';

describe('trial lease: when this process may run a trial, and when to ask again', () => {
  it('a granted lease is held from the request for its length, under the generation it was granted under', () => {
    const lease = granted(newLease(), 1000, 500, 7);
    expect(holds(lease, 1000, 7)).toBe(true);
    expect(holds(lease, 1499, 7)).toBe(true);
    // Counted from the request, so this process gives it up no later than the store does.
    expect(holds(lease, 1500, 7)).toBe(false);
    // Any change of the record ends it.
    expect(holds(lease, 1200, 8)).toBe(false);
    expect(holds(end(lease), 1200, 7)).toBe(false);
  });

  it('a clock stepped back never stretches a lease: one that ends further ahead than its length is over', () => {
    const lease = granted(newLease(), 1000, 500, 7);
    expect(holds(lease, 900, 7)).toBe(false);
  });

  it('after a refusal, asks again when the store says, at least every sync interval and never later than one lease length', () => {
    expect(refused(newLease(), 1000, 300, 500, 2000)).toMatchObject({ askFor: 300, askAfter: 1300 });
    expect(refused(newLease(), 1000, 60_000, 500, 2000)).toMatchObject({ askFor: 500, askAfter: 1500 });
    expect(refused(newLease(), 1000, 60_000, 5000, 2000)).toMatchObject({ askFor: 2000, askAfter: 3000 });
    // A wait that is not a number (a backend's bad answer) asks again at once.
    expect(refused(newLease(), 1000, Number.NaN, 500, 2000)).toMatchObject({ askFor: 0, askAfter: 1000 });
    const lease = refused(newLease(), 1000, 300, 500, 2000);
    expect(mayAsk(lease, 1200)).toBe(false);
    expect(mayAsk(lease, 1300)).toBe(true);
    expect(waitFor(lease, 1200)).toBe(100);
    // At least 1 ms: a refusal is never a wait of nothing.
    expect(waitFor(lease, 1300)).toBe(1);
  });

  it('a clock stepped back asks again at once, and the wait told never exceeds the refusal\'s', () => {
    const lease = refused(newLease(), 1000, 300, 500, 2000);
    expect(mayAsk(lease, 0)).toBe(true);
    expect(waitFor(lease, 0)).toBe(300);
  });

  it('one request for the lease at a time: none while one is on its way', () => {
    const asking = asked(newLease(), new Promise<void>(() => {}));
    expect(mayAsk(asking, 0)).toBe(false);
    expect(waitFor(asking, 0)).toBe(1);
    expect(mayAsk(answered(asking), 0)).toBe(true);
  });
});
