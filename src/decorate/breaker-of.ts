import type { CircuitBreaker } from '../breaker/breaker.js';
import { lookupBreaker } from './method-breakers.js';

/** The breaker behind a function guarded by `circuit` or `circuitSync`. */
export function breakerOf(guarded: Function): CircuitBreaker;
/** The breaker behind a decorated method, as seen from `instance` (it matters for `scope: 'instance'`). */
export function breakerOf<T extends object>(instance: T, method: keyof T & (string | symbol)): CircuitBreaker;
export function breakerOf(target: object, method?: string | symbol): CircuitBreaker {
  const fn = method === undefined ? target : (target as Record<string | symbol, unknown>)[method];
  const breaker = lookupBreaker(fn, method === undefined ? undefined : target);
  if (breaker === undefined) {
    const what = method === undefined ? 'this function' : `method ${String(method)}`;
    throw new TypeError(`breakerOf: ${what} is not guarded by circuit or circuitSync`);
  }
  return breaker;
}
