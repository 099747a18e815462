import { describe, expect, it } from 'vitest';
import type { Reachability } from '../../src/store/reachability.js';
import { afterAnswer, afterFailure, afterQuietSync, announcement, outageOf, REACHABLE, route } from '../../src/store/reachability.js';

const refused = new Error('connection refused');

describe('reachability: when the store is away, told once per outage', () => {
  it('a failed request begins an outage, told once however many requests fail in it', () => {
    const down = afterFailure(REACHABLE, refused, 'sync', 'read');
    expect(down).toEqual({ state: 'unreachable', outage: { error: refused, operation: 'sync', beganWithWrite: false } });
    expect(announcement(REACHABLE, down)).toBe('down');
    const again = afterFailure(down, new Error('other'), 'open', 'write');
    expect(again).toBe(down);
    expect(announcement(down, again)).toBeUndefined();
  });

  it('any answer ends an outage that began with a read or a lease request', () => {
    const down = afterFailure(REACHABLE, refused, 'trial', 'lease');
    expect(afterAnswer(down, 'read')).toEqual(REACHABLE);
    expect(announcement(down, afterAnswer(down, 'read'))).toBe('up');
  });

  it('after a refused write, answered reads do not end the outage: a write that lands, or a quiet sync, does', () => {
    const down = afterFailure(REACHABLE, refused, 'open', 'write');
    const readsAnswered = afterAnswer(down, 'read');
    expect(readsAnswered.state).toBe('writes-unconfirmed');
    expect(announcement(down, readsAnswered)).toBeUndefined();
    expect(outageOf(readsAnswered)).toBe(outageOf(down));
    // The write refused again: still the same outage, not a second storeDown.
    const refusedAgain = afterFailure(readsAnswered, refused, 'open', 'write');
    expect(refusedAgain.state).toBe('unreachable');
    expect(outageOf(refusedAgain)).toBe(outageOf(down));
    expect(announcement(readsAnswered, refusedAgain)).toBeUndefined();
    // A write lands: over.
    expect(afterAnswer(readsAnswered, 'write')).toEqual(REACHABLE);
    // A sync with nothing left to write and no failure: over too.
    expect(afterQuietSync(readsAnswered)).toEqual(REACHABLE);
    expect(announcement(readsAnswered, afterQuietSync(readsAnswered))).toBe('up');
  });

  it('a quiet sync ends nothing while the backend is unreachable, and changes nothing when there is no outage', () => {
    const down = afterFailure(REACHABLE, refused, 'open', 'write');
    expect(afterQuietSync(down)).toBe(down);
    expect(afterQuietSync(REACHABLE)).toBe(REACHABLE);
    expect(afterAnswer(REACHABLE, 'read')).toBe(REACHABLE);
    expect(outageOf(REACHABLE)).toBeUndefined();
  });
});

describe('reachability: where a request goes, so that what is queued stays bounded', () => {
  const unreachable: Reachability = { state: 'unreachable', outage: { error: refused, operation: 'sync', beganWithWrite: false } };

  it('reachable: one request of each kind per breaker, on its own slot', () => {
    expect(route(REACHABLE, 'write', false, 'free', false)).toBe('own-slot');
    expect(route(REACHABLE, 'write', false, 'waiting', false)).toBe('not-sent');
    expect(route(REACHABLE, 'lease', false, 'given-up', false)).toBe('not-sent');
    expect(route(REACHABLE, 'read', true, 'waiting', false)).toBe('not-sent');
  });

  it('unreachable: nothing but one probe for the whole store, on the store\'s slot, even when the breaker\'s slot is held', () => {
    expect(route(unreachable, 'write', false, 'free', false)).toBe('not-sent');
    expect(route(unreachable, 'read', false, 'free', false)).toBe('not-sent');
    expect(route(unreachable, 'read', true, 'given-up', false)).toBe('probe-slot');
    expect(route(unreachable, 'read', true, 'free', true)).toBe('not-sent');
  });

  it('a read whose slot a lost request holds goes on the probe slot, so the breaker is answered again', () => {
    expect(route(REACHABLE, 'read', false, 'given-up', false)).toBe('probe-slot');
    expect(route(REACHABLE, 'read', false, 'given-up', true)).toBe('not-sent');
    // Reads answered after a refused write are routed as when reachable.
    const writesUnconfirmed = afterAnswer(afterFailure(REACHABLE, refused, 'open', 'write'), 'read');
    expect(route(writesUnconfirmed, 'write', false, 'free', false)).toBe('own-slot');
  });
});
