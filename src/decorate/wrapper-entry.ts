import { describeValue } from '../check/check.js';
import { keepIdentity } from './function-identity.js';
import { describeKey, isDecoratorContext, isLegacyDecoratorCall } from './decorator-call.js';

type AnyFunction = (...args: any[]) => any;

/**
 * The run-time shape shared by `retry` and `timeout`: `api(fn, options)` wraps a function, and
 * `api(options)` (or bare `@api`) decorates a method under either decorator standard. Unlike a
 * circuit, these wrappers keep no state per class or instance, so a method is wrapped once, at
 * decoration.
 */
export function wrapperEntry<O>(
  api: string,
  wrap: (fn: AnyFunction, options: O, name: string) => AnyFunction,
  parse: (options: unknown) => O,
): (...params: unknown[]) => unknown {
  const wrapped = (fn: AnyFunction, options: O, name: string): AnyFunction => {
    const result = wrap(fn, options, name);
    keepIdentity(result, fn);
    return result;
  };
  const decorate = (options: O, target: unknown, key: unknown, descriptor: unknown): unknown => {
    if (isDecoratorContext(key)) {
      if (key.kind !== 'method' || typeof target !== 'function') {
        throw new TypeError(`@${api} can only decorate methods, not the ${key.kind} ${describeKey(key.name ?? '(anonymous)')}`);
      }
      return wrapped(target as AnyFunction, options, typeof key.name === 'symbol' ? (key.name.description ?? '') : key.name);
    }
    if (isLegacyDecoratorCall(target, key)) {
      const d = descriptor as PropertyDescriptor | undefined;
      if (typeof d?.value !== 'function') throw new TypeError(`@${api} can only decorate methods, not ${describeKey(key)}`);
      const owner = typeof target === 'function' ? target.name : (target as object).constructor?.name;
      d.value = wrapped(d.value as AnyFunction, options, `${owner}.${typeof key === 'symbol' ? (key.description ?? '') : key}`);
      return d;
    }
    throw new TypeError(`@${api}(...) must decorate a method, got ${describeValue(target)}`);
  };
  return function entry(first?: unknown, second?: unknown, third?: unknown): unknown {
    if (isDecoratorContext(second) || isLegacyDecoratorCall(first, second)) return decorate(parse(undefined), first, second, third);
    if (typeof first === 'function') return wrapped(first as AnyFunction, parse(second), first.name);
    const options = parse(first);
    return (target: unknown, key: unknown, descriptor?: unknown) => decorate(options, target, key, descriptor);
  };
}
