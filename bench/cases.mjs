// Every benchmark case: a name, a group, and a setup that returns the function mitata measures.
// Each case runs alone in a fresh process (see run.mjs), so JIT state of one cannot flatter another.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const HOUR = 3_600_000;
const NEVER = Number.MAX_SAFE_INTEGER;
// One shared error: building an Error with a stack would dwarf what the breakers cost.
const failure = new Error('dependency failed');
const ok = async () => 42;
const fail = async () => {
  throw failure;
};
const ignore = () => undefined;

const circuitry = () => import('../dist/index.js');
const cockatiel = () => import('cockatiel');
const Opossum = () => require('opossum');

export const cases = {
  // async, closed, success
  'success/bare': { group: 'success', label: 'bare `await f()`', setup: async () => () => ok() },
  'success/circuitry': {
    group: 'success',
    label: 'circuitry `circuit(f)`',
    setup: async () => {
      const { circuit } = await circuitry();
      const guarded = circuit(ok);
      return () => guarded();
    },
  },
  // The least any wrapper that observes a promise can cost: one `.then` with two handlers.
  'success/floor': {
    group: 'success',
    label: 'floor `(...a) => f(...a).then(id, rethrow)`',
    setup: async () => {
      const id = (x) => x;
      const rethrow = (e) => {
        throw e;
      };
      const floor = (...a) => ok(...a).then(id, rethrow);
      return () => floor();
    },
  },
  'success/circuitry-execute': {
    group: 'success',
    label: 'circuitry `breaker.execute(() => f())`',
    setup: async () => {
      const { CircuitBreaker } = await circuitry();
      const breaker = new CircuitBreaker();
      return () => breaker.execute(() => ok());
    },
  },
  'success/circuitry-decorator': {
    group: 'success',
    label: 'circuitry `@circuit` method',
    setup: async () => {
      const { Client } = await import('./.build/decorated.mjs');
      const client = new Client();
      return () => client.get();
    },
  },
  'success/circuitry-listeners': {
    group: 'success',
    label: 'circuitry with a `success` listener (durations measured)',
    setup: async () => {
      const { circuit } = await circuitry();
      let total = 0;
      const guarded = circuit(ok);
      guarded.breaker.on('success', ({ duration }) => {
        total += duration;
      });
      return () => guarded();
    },
  },
  // Issue 22: what measuring durations costs on the closed path, every call and one in ten.
  'success/circuitry-measured-option': {
    group: 'success',
    label: 'circuitry with a `success` listener, `measureDurations: { sampleRate: 0.1 }`',
    setup: async () => {
      const { CircuitBreaker, circuit } = await circuitry();
      let total = 0;
      const guarded = circuit(ok, new CircuitBreaker({ registry: false, measureDurations: { sampleRate: 0.1 } }));
      guarded.breaker.on('success', ({ duration, weight }) => {
        if (weight > 0) total += duration * weight;
      });
      return () => guarded();
    },
  },
  'success/circuitry-unmeasured-listener': {
    group: 'success',
    label: 'circuitry with a `success` listener, `measureDurations: false`',
    setup: async () => {
      const { CircuitBreaker, circuit } = await circuitry();
      let calls = 0;
      const guarded = circuit(ok, new CircuitBreaker({ registry: false, measureDurations: false }));
      guarded.breaker.on('success', () => {
        calls += 1;
      });
      return () => guarded();
    },
  },
  'success/circuitry-redis': {
    group: 'success',
    label: 'circuitry `circuit(f)` sharing state through Redis (ioredis)',
    // run.mjs starts a redis-server and names it here; without one the case is left out.
    needs: 'redis',
    setup: async () => {
      const { CircuitBreaker, circuit } = await circuitry();
      const { redisStore } = await import('../dist/redis.js');
      const { Redis } = await import('ioredis');
      const client = new Redis(process.env.CIRCUITRY_BENCH_REDIS);
      const store = redisStore(client, { prefix: `bench:${process.pid}:` });
      await store.sync();
      const guarded = circuit(ok, new CircuitBreaker({ name: 'bench', registry: false, store }));
      return () => guarded();
    },
  },
  'success/circuitry-window': {
    group: 'success',
    label: 'circuitry `circuit(f)` with a `countWindow` policy, in memory',
    setup: async () => {
      const { CircuitBreaker, circuit, countWindow } = await circuitry();
      const guarded = circuit(ok, new CircuitBreaker({ registry: false, policy: countWindow({ size: 100, minimumCalls: 20, failureRate: 0.5 }) }));
      return () => guarded();
    },
  },
  'success/circuitry-redis-fleet': {
    group: 'success',
    label: "circuitry `circuit(f)` with a `countWindow` policy judged by the fleet through Redis (`judge: 'fleet'`)",
    needs: 'redis',
    setup: async () => {
      const { CircuitBreaker, circuit, countWindow } = await circuitry();
      const { redisStore } = await import('../dist/redis.js');
      const { Redis } = await import('ioredis');
      const client = new Redis(process.env.CIRCUITRY_BENCH_REDIS);
      const store = redisStore(client, { prefix: `bench:${process.pid}:`, judge: 'fleet' });
      await store.sync();
      const policy = countWindow({ size: 100, minimumCalls: 20, failureRate: 0.5 });
      const guarded = circuit(ok, new CircuitBreaker({ name: 'bench', registry: false, policy, store }));
      return () => guarded();
    },
  },
  'success/opossum': {
    group: 'success',
    label: 'opossum `fire()`, defaults',
    setup: async () => {
      const breaker = new (Opossum())(ok);
      return () => breaker.fire();
    },
  },
  'success/opossum-no-timeout': {
    group: 'success',
    label: 'opossum `fire()`, `timeout: false`',
    setup: async () => {
      const breaker = new (Opossum())(ok, { timeout: false });
      return () => breaker.fire();
    },
  },
  'success/cockatiel': {
    group: 'success',
    label: 'cockatiel `execute()`, ConsecutiveBreaker(5)',
    setup: async () => {
      const { circuitBreaker, handleAll, ConsecutiveBreaker } = await cockatiel();
      const policy = circuitBreaker(handleAll, { halfOpenAfter: HOUR, breaker: new ConsecutiveBreaker(5) });
      return () => policy.execute(ok);
    },
  },

  'success/circuitry-retry': {
    group: 'success',
    label: 'circuitry `retry(circuit(f))`',
    setup: async () => {
      const { circuit, retry } = await circuitry();
      const guarded = retry(circuit(ok), { attempts: 3 });
      return () => guarded();
    },
  },
  'success/cockatiel-retry': {
    group: 'success',
    label: 'cockatiel `wrap(retry, breaker).execute()`',
    setup: async () => {
      const { circuitBreaker, handleAll, retry, wrap, ConsecutiveBreaker } = await cockatiel();
      const breaker = circuitBreaker(handleAll, { halfOpenAfter: HOUR, breaker: new ConsecutiveBreaker(5) });
      const policy = wrap(retry(handleAll, { maxAttempts: 3 }), breaker);
      return () => policy.execute(ok);
    },
  },

  // A bulkhead and a retry budget, uncontended: what they add when nothing waits or is refused.
  'success/circuitry-bulkhead': {
    group: 'success',
    label: 'circuitry `bulkhead(f, { maxConcurrent: 10 })`',
    setup: async () => {
      const { bulkhead } = await circuitry();
      const limited = bulkhead(ok, { maxConcurrent: 10, maxQueue: 10 });
      return () => limited();
    },
  },
  'success/circuitry-retry-alone': {
    group: 'success',
    label: 'circuitry `retry(f)`',
    setup: async () => {
      const { retry } = await circuitry();
      const retried = retry(ok, { attempts: 3 });
      return () => retried();
    },
  },
  'success/circuitry-retry-budget': {
    group: 'success',
    label: 'circuitry `retry(f, { budget })`',
    setup: async () => {
      const { retry, retryBudget } = await circuitry();
      const retried = retry(ok, { attempts: 3, budget: retryBudget() });
      return () => retried();
    },
  },
  'success/circuitry-retry-budget-circuit': {
    group: 'success',
    label: 'circuitry `retry(circuit(f), { budget })`',
    setup: async () => {
      const { circuit, retry, retryBudget } = await circuitry();
      const guarded = retry(circuit(ok), { attempts: 3, budget: retryBudget() });
      return () => guarded();
    },
  },

  // async, closed, failure: counted, but the circuit never opens
  'failure/bare': { group: 'failure', label: 'bare `await f()`, caught', setup: async () => () => fail().catch(ignore) },
  'failure/circuitry': {
    group: 'failure',
    label: 'circuitry `circuit(f)`',
    setup: async () => {
      const { circuit } = await circuitry();
      const guarded = circuit(fail, { failureThreshold: NEVER });
      return () => guarded().catch(ignore);
    },
  },
  'failure/opossum-no-timeout': {
    group: 'failure',
    label: 'opossum `fire()`, `timeout: false`',
    setup: async () => {
      // The error rate can never be strictly above 100%, so it never opens.
      const breaker = new (Opossum())(fail, { timeout: false, errorThresholdPercentage: 100 });
      return () => breaker.fire().catch(ignore);
    },
  },
  'failure/cockatiel': {
    group: 'failure',
    label: 'cockatiel `execute()`',
    setup: async () => {
      const { circuitBreaker, handleAll, ConsecutiveBreaker } = await cockatiel();
      const policy = circuitBreaker(handleAll, { halfOpenAfter: HOUR, breaker: new ConsecutiveBreaker(NEVER) });
      return () => policy.execute(fail).catch(ignore);
    },
  },

  // open circuit: rejected without calling the function
  'open/circuitry': {
    group: 'open',
    label: 'circuitry, rejection',
    setup: async () => {
      const { circuit } = await circuitry();
      const guarded = circuit(fail, { failureThreshold: 1, recoveryTimeout: HOUR });
      await guarded().catch(ignore);
      return () => guarded().catch(ignore);
    },
  },
  'open/opossum': {
    group: 'open',
    label: 'opossum, rejection',
    setup: async () => {
      const breaker = new (Opossum())(fail, { timeout: false, resetTimeout: HOUR });
      breaker.open();
      return () => breaker.fire().catch(ignore);
    },
  },
  'open/cockatiel': {
    group: 'open',
    label: 'cockatiel, rejection',
    setup: async () => {
      const { circuitBreaker, handleAll, ConsecutiveBreaker } = await cockatiel();
      const policy = circuitBreaker(handleAll, { halfOpenAfter: HOUR, breaker: new ConsecutiveBreaker(1) });
      await policy.execute(fail).catch(ignore);
      return () => policy.execute(fail).catch(ignore);
    },
  },
  'open/circuitry-fallback': {
    group: 'open',
    label: 'circuitry, rejection into a fallback',
    setup: async () => {
      const { circuit } = await circuitry();
      const guarded = circuit(fail, { failureThreshold: 1, recoveryTimeout: HOUR, fallback: () => 0 });
      await guarded();
      return () => guarded();
    },
  },
  'open/opossum-fallback': {
    group: 'open',
    label: 'opossum, rejection into a fallback',
    setup: async () => {
      const breaker = new (Opossum())(fail, { timeout: false, resetTimeout: HOUR });
      breaker.fallback(() => 0);
      breaker.open();
      return () => breaker.fire();
    },
  },
  'open/cockatiel-fallback': {
    group: 'open',
    label: 'cockatiel, rejection into a fallback',
    setup: async () => {
      const { circuitBreaker, fallback, handleAll, wrap, ConsecutiveBreaker } = await cockatiel();
      const breaker = circuitBreaker(handleAll, { halfOpenAfter: HOUR, breaker: new ConsecutiveBreaker(1) });
      const policy = wrap(fallback(handleAll, () => 0), breaker);
      await policy.execute(fail);
      return () => policy.execute(fail);
    },
  },

  // closed success under each trip policy, windows of 10 and 10,000 side by side
  ...policyCases(),

  // synchronous
  'sync/bare': {
    group: 'sync',
    label: 'bare call',
    setup: async () => {
      const parse = (s) => s.length;
      return () => parse('circuit');
    },
  },
  'sync/circuitry': {
    group: 'sync',
    label: 'circuitry `circuitSync(f)`',
    setup: async () => {
      const { circuitSync } = await circuitry();
      const parse = circuitSync((s) => s.length);
      return () => parse('circuit');
    },
  },
};

function policyCases() {
  const windowed = (label, makePolicy) => ({
    group: 'policy',
    label,
    setup: async () => {
      const lib = await circuitry();
      const guarded = lib.circuit(ok, { policy: makePolicy(lib) });
      return () => guarded();
    },
  });
  return {
    'policy/count-10': windowed('countWindow, size 10', (lib) => lib.countWindow({ size: 10 })),
    'policy/count-10000': windowed('countWindow, size 10,000', (lib) => lib.countWindow({ size: 10_000 })),
    'policy/time-10': windowed('timeWindow, 10 buckets', (lib) => lib.timeWindow({ duration: 60_000, buckets: 10 })),
    'policy/time-10000': windowed('timeWindow, 10,000 buckets', (lib) => lib.timeWindow({ duration: 60_000, buckets: 10_000 })),
  };
}
