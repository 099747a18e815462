// Type tests of the decorator surface (issue 14), standard decorators; checked by `tsc` in
// `npm run typecheck`, never run. Every `@ts-expect-error` must fire: an unused one fails tsc.
import { CircuitBreaker, circuit, circuitSync, retry, timeout } from 'circuitry';
import type { CircuitGuarded, Retrying } from 'circuitry';
import { expectType } from './expect-type.js';
import type { Equal } from './expect-type.js';

interface User {
  id: string;
}
const shared = new CircuitBreaker({ name: 'types-shared', registry: false });

class Correct {
  // Fallbacks that fit: fewer parameters, the method's own, the resolved type or a promise of it.
  @circuit({ fallback: () => ({ id: 'cold' }) }) async a(id: string): Promise<User> {
    return { id };
  }
  @circuit({ fallback: (_error: unknown, id: string) => Promise.resolve({ id }) }) async b(id: string): Promise<User> {
    return { id };
  }
  @circuit({ scope: 'instance', failureThreshold: 2 }) async c(): Promise<number> {
    return 1;
  }
  @circuit(shared) async d(): Promise<number> {
    return 1;
  }
  @circuit({ breaker: shared }) async e(): Promise<number> {
    return 1;
  }
  @circuitSync({ fallback: () => 0 }) f(raw: string): number {
    return raw.length;
  }
  @circuitSync g(): string {
    return '';
  }
  // Stacking: retry outside, timeout inside, in any order with circuit.
  @retry({ attempts: 2 }) @circuit({ fallback: () => null as User | null }) @timeout(100) async h(id: string): Promise<User | null> {
    return { id };
  }
  // `this`-typed methods keep `this`.
  @circuit async i(this: Correct): Promise<number> {
    return 1;
  }
}
const correct = new Correct();
expectType<Equal<ReturnType<typeof correct.a>, Promise<User>>>();
expectType<Equal<ReturnType<typeof correct.f>, number>>();

class Misuse {
  // @ts-expect-error: UseCircuitSyncForSynchronousMethods (bare @circuit on a sync method)
  @circuit sync(): number {
    return 1;
  }
  // @ts-expect-error: UseCircuitForAsyncMethods (@circuitSync on an async method)
  @circuitSync async load(): Promise<number> {
    return 1;
  }
  // @ts-expect-error: CircuitDecoratesMethodsOnly (a getter)
  @circuit get state(): Promise<number> {
    return Promise.resolve(1);
  }
  // @ts-expect-error: CircuitDecoratesMethodsOnly (a getter, under circuitSync)
  @circuitSync get size(): number {
    return 1;
  }
  // @ts-expect-error: FallbackDoesNotFitTheMethod<User> (the fallback's result is not the method's)
  @circuit({ fallback: () => 42 }) async getUser(id: string): Promise<User> {
    return { id };
  }
  // @ts-expect-error: FallbackDoesNotFitTheMethod<User> (parameters the method does not pass)
  @circuit({ fallback: (_e: unknown, id: number, extra: boolean) => ({ id: String(id), extra }) }) async getUser2(id: string): Promise<User> {
    return { id };
  }
  // @ts-expect-error: FallbackDoesNotFitTheMethod<number> (circuitSync)
  @circuitSync({ fallback: () => 'x' }) count(): number {
    return 1;
  }
  // @ts-expect-error: RetryAndTimeoutDecorateAsyncMethods
  @timeout(10) now(): number {
    return 1;
  }
  // @ts-expect-error: a misspelt option in a decorator factory
  @circuit({ failureTreshold: 3 }) async typo(): Promise<number> {
    return 1;
  }
}
void Misuse;

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
