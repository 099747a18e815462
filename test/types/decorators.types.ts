// Type tests of the decorator surface (issue 14), compiled twice by `npm run typecheck`: under
// standard decorators (`tsc`) and under experimentalDecorators (`tsc -p test/legacy`, whose
// tsconfig includes this file). Never run. Every `@ts-expect-error` must fire in both modes: an
// unused one fails tsc. The function form, which no decorator mode changes, is in
// function-form.types.ts.
import { CircuitBreaker, circuit, circuitSync, retry, timeout } from 'circuitry';
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
// Generic methods keep their type parameters under every decorator (issue 21).
class Generic {
  @circuit async a<T>(x: T): Promise<T> {
    return x;
  }
  @circuit({ failureThreshold: 2 }) async b<T>(x: T): Promise<T> {
    return x;
  }
  // A fallback for every T can only throw.
  @circuit({
    fallback: (): never => {
      throw new Error('cold');
    },
  })
  async c<T>(x: T): Promise<T> {
    return x;
  }
  @circuitSync() d<T>(x: T): T {
    return x;
  }
  @retry @timeout(100) async e<T>(x: T): Promise<T> {
    return x;
  }
  @retry({ attempts: 2 }) async f<T>(x: T): Promise<T> {
    return x;
  }
}
const generic = new Generic();
expectType<Equal<ReturnType<typeof generic.a<number>>, Promise<number>>>();
expectType<Equal<ReturnType<typeof generic.d<string>>, string>>();
expectType<Equal<ReturnType<typeof generic.e<boolean>>, Promise<boolean>>>();

const correct = new Correct();
expectType<Equal<ReturnType<typeof correct.a>, Promise<User>>>();
expectType<Equal<ReturnType<typeof correct.f>, number>>();

class Misuse {
  // @ts-expect-error: DecoratorMisuse "use @circuitSync..." (bare @circuit on a sync method)
  @circuit sync(): number {
    return 1;
  }
  // @ts-expect-error: DecoratorMisuse "use @circuit..." (@circuitSync on an async method)
  @circuitSync async load(): Promise<number> {
    return 1;
  }
  // @ts-expect-error: DecoratorMisuse "guards methods" (a getter)
  @circuit get state(): Promise<number> {
    return Promise.resolve(1);
  }
  // @ts-expect-error: DecoratorMisuse "guards methods" (a getter, under circuitSync)
  @circuitSync get size(): number {
    return 1;
  }
  // @ts-expect-error: DecoratorMisuse<"the fallback must...", User> (the fallback's result is not the method's)
  @circuit({ fallback: () => 42 }) async getUser(id: string): Promise<User> {
    return { id };
  }
  // @ts-expect-error: DecoratorMisuse<"the fallback must...", User> (parameters the method does not pass)
  @circuit({ fallback: (_e: unknown, id: number, extra: boolean) => ({ id: String(id), extra }) }) async getUser2(id: string): Promise<User> {
    return { id };
  }
  // @ts-expect-error: DecoratorMisuse<"the fallback must...", number> (circuitSync)
  @circuitSync({ fallback: () => 'x' }) count(): number {
    return 1;
  }
  // @ts-expect-error: DecoratorMisuse "retry and timeout decorate methods that return a promise"
  @timeout(10) now(): number {
    return 1;
  }
  // @ts-expect-error: DecoratorMisuse<"the fallback must...", unknown> (a generic method's fallback returns no T)
  @circuit({ fallback: () => 42 }) async anyT<T>(x: T): Promise<T> {
    return x;
  }
  // @ts-expect-error: DecoratorMisuse "use @circuitSync..." (a generic synchronous method)
  @circuit syncT<T>(x: T): T {
    return x;
  }
  // @ts-expect-error: DecoratorMisuse "retry and timeout decorate methods that return a promise" (bare @retry)
  @retry now2(): number {
    return 1;
  }
  // Misspelt options: the first error is TS2769, naming the option (test/types/messages.test.ts).
  // @ts-expect-error: a misspelt option in a decorator factory
  @circuit({ failureTreshold: 3 }) async typo(): Promise<number> {
    return 1;
  }
  // @ts-expect-error: a misspelt option, circuitSync
  @circuitSync({ failureTreshold: 3 }) typoSync(): number {
    return 1;
  }
  // @ts-expect-error: a misspelt option, retry
  @retry({ attemps: 3 }) async typoRetry(): Promise<number> {
    return 1;
  }
  // @ts-expect-error: timeout takes milliseconds
  @timeout('1s') async typoTimeout(): Promise<number> {
    return 1;
  }
}
void Misuse;
