// Type tests of the function form (issue 14): `circuit`, `circuitSync`, `retry` and `timeout`
// wrapping functions, checked by `tsc` in `npm run typecheck`, never run.
import { circuit, circuitSync, retry, timeout } from 'circuitry';
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

// Generic functions: retry and timeout keep type parameters; circuit cannot (its result carries
// `.breaker`, and TypeScript only propagates type parameters to a bare function type).
declare function identity<T>(x: T): Promise<T>;
const retriedIdentity = retry(identity);
expectType<Equal<ReturnType<typeof retriedIdentity<number>>, Promise<number>>>();
const timedIdentity = timeout(identity, 10);
expectType<Equal<ReturnType<typeof timedIdentity<string>>, Promise<string>>>();
// The README's workaround: instantiate first.
const guardedIdentity = circuit(identity<User>);
expectType<Equal<ReturnType<typeof guardedIdentity>, Promise<User>>>();
const retrying: Retrying<unknown, [id: string, fresh?: boolean], User> = retry(fetchUser, { attempts: 2 });
void retrying;

// Overloaded functions keep their last signature (TypeScript's rule for inference from overloads).
declare function load(id: string): Promise<User>;
declare function load(ids: string[]): Promise<User[]>;
const guardedLoad = circuit(load);
expectType<Equal<Parameters<typeof guardedLoad>, [ids: string[]]>>();

// `this`-typed functions keep `this`.
const withThis = circuit(async function (this: { base: number }, n: number) {
  return this.base + n;
});
expectType<Equal<ThisParameterType<typeof withThis>, { base: number }>>();
