// The same call to the upstream guarded four ways, each written as a user of that library would:
// a deadline on every call, and a fallback answer for a failure or a refused call.
// `callUpstream(signal)` is the service's own code; `onState(state)` records the library's events.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const FALLBACK = 'fallback';

/** No breaker: the deadline alone. Every call goes to the upstream. */
function none({ callUpstream, deadline }) {
  return {
    call: () => callUpstream(AbortSignal.timeout(deadline)).catch(() => FALLBACK),
    close: () => {},
  };
}

/** circuitry at its default trip rule (5 consecutive failures), with or without a Redis store. */
async function circuitry({ callUpstream, deadline, recovery, onState, redisUrl }) {
  const { callSignal, circuit } = await import('../../dist/index.js');
  let store;
  let client;
  if (redisUrl) {
    const { redisStore } = await import('../../dist/redis.js');
    const { Redis } = await import('ioredis');
    client = new Redis(redisUrl);
    client.on('error', () => {});
    store = redisStore(client, { prefix: 'outage:' });
  }
  const guarded = circuit(() => callUpstream(callSignal()), {
    name: 'upstream',
    timeout: deadline,
    recoveryTimeout: recovery,
    fallback: () => FALLBACK,
    ...(store ? { store } : {}),
  });
  for (const state of ['open', 'close', 'halfOpen']) guarded.breaker.on(state, () => onState(state));
  return {
    call: guarded,
    close: () => {
      store?.close();
      client?.disconnect();
    },
  };
}

/**
 * opossum counts a rolling percentage only. `defaults` keeps its window (50 % of 10 s, no volume
 * threshold); `tuned` is the fastest detection its options give without tripping on one failure:
 * a 1 s window in 10 buckets, at least 5 calls. Both get the same deadline and recovery period.
 */
function opossum(tuning) {
  return ({ callUpstream, deadline, recovery, onState }) => {
    const CircuitBreaker = require('opossum');
    // opossum's `timeout` rejects the call but does not stop it; the signal does.
    const breaker = new CircuitBreaker(() => callUpstream(AbortSignal.timeout(deadline)), {
      name: 'upstream',
      timeout: deadline,
      resetTimeout: recovery,
      ...tuning,
    });
    breaker.fallback(() => FALLBACK);
    for (const state of ['open', 'close', 'halfOpen']) breaker.on(state, () => onState(state));
    return { call: () => breaker.fire(), close: () => breaker.shutdown() };
  };
}

/** cockatiel: the same rule as circuitry (5 consecutive failures), its timeout and fallback policies. */
async function cockatiel({ callUpstream, deadline, recovery, onState }) {
  const { ConsecutiveBreaker, TimeoutStrategy, circuitBreaker, fallback, handleAll, timeout, wrap } = await import('cockatiel');
  const breaker = circuitBreaker(handleAll, { halfOpenAfter: recovery, breaker: new ConsecutiveBreaker(5) });
  breaker.onBreak(() => onState('open'));
  breaker.onReset(() => onState('close'));
  breaker.onHalfOpen(() => onState('halfOpen'));
  const policy = wrap(fallback(handleAll, FALLBACK), breaker, timeout(deadline, TimeoutStrategy.Aggressive));
  return { call: () => policy.execute(({ signal }) => callUpstream(signal)), close: () => {} };
}

export const guards = {
  none,
  circuitry,
  'circuitry+redis': circuitry,
  'opossum (defaults)': opossum({}),
  'opossum (tuned)': opossum({ rollingCountTimeout: 1_000, rollingCountBuckets: 10, volumeThreshold: 5 }),
  cockatiel,
};
