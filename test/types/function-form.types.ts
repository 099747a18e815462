// Type tests of the function form (issue 14): `circuit`, `circuitSync`, `retry` and `timeout`
// wrapping functions, checked by `tsc` in `npm run typecheck`, never run.
import { CircuitBreaker, circuit, circuitSync, retry, timeout } from 'circuitry';
import type { CircuitGuarded, Retrying } from 'circuitry';
import { expectType } from './expect-type.js';
import type { Equal } from './expect-type.js';

interface User {
  id: string;
}

// The function form.
declare function fetchUser(id: string, fresh?: boolean): Promise<User>;
// @ts-expect-error: the misspelt option is the first error (overload 1 is the function form)
circuit(fetchUser, { failureTreshold: 2 });
// @ts-expect-error: scope is a decorator option
circuit(fetchUser, { scope: 'instance' });
// @ts-expect-error: a fallback's result joins the function's, but its parameters must fit
circuit(fetchUser, { fallback: (_e, id: number) => id });
// @ts-expect-error: circuitSync has no timeout
circuitSync((s: string) => s.length, { timeout: 10 });
// A timeout forwarded as undefined is a timeout left out, as the runtime reads it.
declare const noTimeout: undefined;
circuitSync((s: string) => s.length, { timeout: noTimeout });
const named: CircuitGuarded<unknown, [id: string, fresh?: boolean], User> = circuit(fetchUser);
void named;

// Generic functions keep their type parameters, with options too (issue 21).
declare function identity<T>(x: T): Promise<T>;
const retriedIdentity = retry(identity);
expectType<Equal<ReturnType<typeof retriedIdentity<number>>, Promise<number>>>();
const retriedWithOptions = retry(identity, { attempts: 2 });
expectType<Equal<ReturnType<typeof retriedWithOptions<number>>, Promise<number>>>();
// Callbacks that read the parameters or result see them for every T, so they stay checked.
const retriedOnResult = retry(identity, {
  retryOnResult: (result) => {
    // @ts-expect-error: the result is any T, not a number
    const n: number = result;
    return n === 0;
  },
  signal: (x) => (x === undefined ? AbortSignal.timeout(10) : undefined),
});
expectType<Equal<ReturnType<typeof retriedOnResult<string>>, Promise<string>>>();
const timedIdentity = timeout(identity, 10);
expectType<Equal<ReturnType<typeof timedIdentity<string>>, Promise<string>>>();
// circuit keeps an async function's own type, the breaker added: generics and overloads survive.
const guardedIdentity = circuit(identity);
expectType<Equal<ReturnType<typeof guardedIdentity<number>>, Promise<number>>>();
expectType<Equal<typeof guardedIdentity.breaker, CircuitBreaker>>();
const guardedWithOptions = circuit(identity, {
  failureThreshold: 2,
  isFailure: (result) => {
    expectType<Equal<typeof result, unknown>>();
    return result === undefined;
  },
});
expectType<Equal<ReturnType<typeof guardedWithOptions<number>>, Promise<number>>>();
// Beyond TypeScript: a generic function whose result type circuit must change (a fallback widens
// it, or a synchronous result becomes a promise) needs higher-order inference, which TypeScript
// performs only for a result that is a bare function type, and circuit's carries `.breaker`.
// It falls back to the last signature with `unknown`; instantiate first to keep T.
const widened = circuit(identity, { fallback: () => undefined });
expectType<Equal<Parameters<typeof widened>, [x: unknown]>>();
expectType<Equal<ReturnType<typeof widened>, Promise<unknown>>>();
const instantiated = circuit(identity<User>, { fallback: () => undefined });
expectType<Equal<ReturnType<typeof instantiated>, Promise<User | undefined>>>();
const syncGeneric = circuit(<T>(x: T) => x);
expectType<Equal<ReturnType<typeof syncGeneric>, Promise<unknown>>>();
// circuitSync changes no result type, so it keeps a generic function's own type.
const syncIdentity = circuitSync(<T>(x: T) => x);
expectType<Equal<ReturnType<typeof syncIdentity<number>>, number>>();
const retrying: Retrying<unknown, [id: string, fresh?: boolean], User> = retry(fetchUser, { attempts: 2 });
void retrying;
// A per-call signal reads the arguments without narrowing the wrapper's parameters.
const perCall = retry(fetchUser, { signal: (_id, fresh) => (fresh === true ? undefined : AbortSignal.timeout(10)) });
expectType<Equal<Parameters<typeof perCall>, [id: string, fresh?: boolean]>>();
// @ts-expect-error: retryOnResult's parameter is what fetchUser resolves to
retry(fetchUser, { retryOnResult: (n: number) => n === 0 });

// circuitSync refuses a function that returns a promise at compile time, naming the fix:
// DecoratorMisuse<"use circuit for a function that returns a promise">.
// @ts-expect-error: use circuit
circuitSync(async () => 1);
declare function maybeCached(id: string): User | Promise<User>;
// @ts-expect-error: use circuit (a promise some of the time is a TypeError at run time)
circuitSync(maybeCached);
// Other thenables are values, as at run time; a function that always throws is synchronous.
circuitSync(() => ({ then() {}, where() {} }));
circuitSync((): never => {
  throw new Error('down');
});

// A function with properties of its own: the guard has none of them.
const withCache = Object.assign(async (id: string) => ({ id }), { cache: new Map<string, User>() });
const guardedWithCache = circuit(withCache);
// @ts-expect-error: the guard does not copy `cache`
void guardedWithCache.cache;

// An overloaded async function keeps every overload under circuit (its own type); `Parameters`
// reads the last, TypeScript's rule for inference from overloads.
declare function load(id: string): Promise<User>;
declare function load(ids: string[]): Promise<User[]>;
const guardedLoad = circuit(load);
expectType<Equal<Parameters<typeof guardedLoad>, [ids: string[]]>>();
const one: Promise<User> = guardedLoad('u1');
void one;
// One synchronous overload: the guard would turn its result into a promise, so only the last
// signature is kept, as retry and timeout keep it.
declare function mixed(id: string): User;
declare function mixed(ids: string[]): Promise<User[]>;
const guardedMixed = circuit(mixed);
// @ts-expect-error: the synchronous overload is not kept
guardedMixed('u1');

// `this`-typed functions keep `this`.
const withThis = circuit(async function (this: { base: number }, n: number) {
  return this.base + n;
});
expectType<Equal<ThisParameterType<typeof withThis>, { base: number }>>();
