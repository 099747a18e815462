// Type tests, checked by `tsc` under standard decorators; never run.
import { CircuitBreaker, breakerOf, circuit, circuitSync, countWindow, exponentialBackoff, isCircuitOpenError, restoreBreaker } from 'circuitry';
import type { TripPolicy } from 'circuitry';
import type { CircuitState } from 'circuitry';
import { expectType } from './expect-type.js';
import type { Equal } from './expect-type.js';

interface User {
  id: string;
}
declare function fetchUser(id: string, fresh?: boolean): Promise<User>;

const getUser = circuit(fetchUser);
expectType<Equal<Parameters<typeof getUser>, [id: string, fresh?: boolean]>>();
expectType<Equal<ReturnType<typeof getUser>, Promise<User>>>();
expectType<Equal<typeof getUser.breaker.state, CircuitState>>();
// @ts-expect-error: the parameter types are kept
void getUser(42);

// A sync function's result arrives as a promise.
const double = circuit((n: number) => n * 2);
expectType<Equal<ReturnType<typeof double>, Promise<number>>>();

// The fallback is typed from the function: its arguments, and a result joining the function's.
const withCold = circuit(fetchUser, {
  fallback: (error, id) => {
    expectType<Equal<typeof error, unknown>>();
    expectType<Equal<typeof id, string>>();
    return { id, cold: true as const };
  },
});
expectType<Equal<Awaited<ReturnType<typeof withCold>>, User | { id: string; cold: true }>>();

// @ts-expect-error: a typo in an option name
circuit(fetchUser, { failureTreshold: 3 });
// @ts-expect-error: options have their types
circuit(fetchUser, { recoveryTimeout: '30s' });
// @ts-expect-error: expectedError takes Error classes, not other classes
circuit(fetchUser, { expectedError: Map });

// `this` is kept.
const counter = {
  n: 1,
  next: circuit(async function (this: { n: number }, by: number) {
    return this.n + by;
  }),
};
expectType<Equal<ReturnType<typeof counter.next>, Promise<number>>>();

// circuitSync stays synchronous.
const parse = circuitSync((raw: string) => raw.length);
expectType<Equal<ReturnType<typeof parse>, number>>();

const shared = new CircuitBreaker({ name: 'payments' });
const charge = circuit(async (amount: number) => amount, shared);
expectType<Equal<typeof charge.breaker, CircuitBreaker>>();

const error: unknown = new Error();
if (isCircuitOpenError(error)) expectType<Equal<typeof error.retryAfter, number>>();

class Client {
  @circuit({ failureThreshold: 3 }) async get(id: string): Promise<User> {
    return fetchUser(id);
  }
  @circuit async list(): Promise<User[]> {
    return [];
  }
  @circuitSync() parse(raw: string): number {
    return raw.length;
  }
  // @ts-expect-error: @circuit guards methods that return promises; use @circuitSync
  @circuit sync(): number {
    return 1;
  }
  // @ts-expect-error: @circuit() guards methods that return promises
  @circuit() syncToo(): number {
    return 1;
  }
  // @ts-expect-error: fields cannot be guarded
  @circuit() url = 'http://localhost';
}

const client = new Client();
expectType<Equal<ReturnType<typeof client.get>, Promise<User>>>();
expectType<Equal<ReturnType<typeof client.parse>, number>>();
breakerOf(client, 'get');
// @ts-expect-error: breakerOf names a member of the instance
breakerOf(client, 'missing');

// isFailure sees the resolved value's type.
circuit(fetchUser, {
  isFailure: (user) => {
    expectType<Equal<typeof user, User>>();
    return user.id === '';
  },
  policy: countWindow({ size: 10 }),
  recoveryTimeout: exponentialBackoff({ initial: 100, max: 1000 }),
});
// @ts-expect-error: the window size is required
countWindow({ failureRate: 0.5 });
const mine = (): TripPolicy => ({ onSuccess: () => false, onFailure: () => true, reset: () => {} });
circuit(fetchUser, { policy: mine, slowCallDuration: 100 });
const restored = restoreBreaker(shared.toJSON());
expectType<Equal<typeof restored, CircuitBreaker>>();
// @ts-expect-error: configure cannot rename a breaker
shared.configure({ name: 'other' });
const release: () => void = shared.isolate();
release();

// retry, timeout and pipe keep parameters and results.
import { callSignal, pipe, retry, timeout } from 'circuitry';
const retried = retry(fetchUser, { attempts: 3, retryOnResult: (u) => u.id === '', signal: (_id, fresh) => (fresh ? undefined : AbortSignal.timeout(10)) });
expectType<Equal<Parameters<typeof retried>, [id: string, fresh?: boolean]>>();
expectType<Equal<ReturnType<typeof retried>, Promise<User>>>();
const timed = timeout(async (id: string) => {
  const signal: AbortSignal = callSignal();
  return signal.aborted ? null : id;
}, 100);
expectType<Equal<ReturnType<typeof timed>, Promise<string | null>>>();
const piped = pipe(
  fetchUser,
  (f) => retry(f),
  (f) => circuit(f, { fallback: () => undefined }),
);
expectType<Equal<Awaited<ReturnType<typeof piped>>, User | undefined>>();
// @ts-expect-error: retry options have their types
retry(fetchUser, { attempts: '3' });
class Decorated {
  @retry({ attempts: 2 }) @timeout(100) async get(id: string): Promise<User> {
    return fetchUser(id);
  }
  // @ts-expect-error: retry makes a method asynchronous; a synchronous one cannot keep its type
  @retry() now(): number {
    return 1;
  }
}
void Decorated;
// A fallback's parameters do not narrow the guarded function's.
const withFallbackArgs = circuit(fetchUser, { fallback: (_e, id, fresh) => ({ id, fresh }) });
expectType<Equal<Parameters<typeof withFallbackArgs>, [id: string, fresh?: boolean]>>();
