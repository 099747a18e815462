import { CircuitBreaker, circuit } from 'circuitry';
import type { CircuitStore } from 'circuitry';
import { redisStore } from 'circuitry/redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedis } from '../helpers/redis-server.js';
import { CLIENTS } from './clients.js';

// A change Redis refuses as late must not be taken for one it took (issue 15, left open): after
// this process's clock stepped back, its stamps say its changes were decided long ago, and the
// script refuses them. The reply says so, and the process sends the change again, re-stamped
// from the refusal's own clock, instead of believing it published and losing it.
let redis: Awaited<ReturnType<typeof startRedis>>;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(() => redis.stop());

let n = 0;

/** Real time plus a shift the test moves, either way: no sleeping, and Redis's clock stays real. */
function member(store: CircuitStore) {
  let shift = 0;
  const clock = { now: () => Date.now() + shift, step: (ms: number) => void (shift += ms) };
  const breaker = new CircuitBreaker({ name: 'dep', registry: false, failureThreshold: 1, recoveryTimeout: 60_000, clock, store, reportError: () => {} });
  let fail = false;
  const call = circuit(async () => {
    if (fail) throw new Error('dependency failed');
    return 'ok';
  }, breaker);
  return { breaker, clock, attempt: () => call().catch((e: Error) => e.name), dependency: (failing: boolean) => void (fail = failing) };
}

describe.each(Object.entries(CLIENTS))('a change refused as late, with %s', (_clientName, connect) => {
  it('a process whose clock stepped back trips, and its open still reaches the record and the fleet', async () => {
    const prefix = `stepped:${++n}:`;
    const a = await connect(redis.url);
    const b = await connect(redis.url);
    const storeA = redisStore(a.client, { prefix, syncInterval: 60_000, timeout: 200 });
    const storeB = redisStore(b.client, { prefix, syncInterval: 60_000, timeout: 200 });
    const pa = member(storeA);
    const pb = member(storeB);
    await Promise.all([storeA.sync(), storeB.sync()]);
    // A closed record both have taken in (a record that exists: one lost would be put back by the read path).
    pa.breaker.close();
    await storeA.sync();
    await Promise.all([storeA.sync(), storeB.sync()]);
    expect(await a.raw('HGET', `${prefix}dep`, 's')).toBe('closed');
    // NTP steps A's clock back a minute: what A learnt of Redis's clock now stamps its changes a minute old.
    pa.clock.step(-60_000);
    pa.dependency(true);
    expect(await pa.attempt()).toBe('Error');
    expect(pa.breaker.state).toBe('open');
    // Each sync waits for what was sent before it; the resend goes out after the refusal's answer.
    for (let i = 0; i < 3; i++) await Promise.all([storeA.sync(), storeB.sync()]);
    expect(await a.raw('HGET', `${prefix}dep`, 's')).toBe('open');
    expect(pa.breaker.state).toBe('open');
    expect(pb.breaker.state).toBe('open');
    expect(await pb.attempt()).toBe('CircuitOpenError');
    storeA.close();
    storeB.close();
    await a.quit();
    await b.quit();
  });
});
