/** Where a guarded function or method keeps the way to its breaker (see `breakerOf`). */
export const BREAKER_OF = Symbol('circuitry.breakerOf');

/**
 * Makes `wrapper` look like `original`: the same `name` and `length`, the way to a breaker when
 * `original` is itself guarded (so `breakerOf` sees through `@retry` above `@circuit`), and the
 * `reflect-metadata` entries other decorators attached to the original function (NestJS keeps
 * route and guard metadata there), so decorator order does not matter.
 */
export function keepIdentity(wrapper: Function, original: Function): void {
  Object.defineProperty(wrapper, 'name', { value: original.name, configurable: true });
  Object.defineProperty(wrapper, 'length', { value: original.length, configurable: true });
  const lookup = (original as { [BREAKER_OF]?: unknown })[BREAKER_OF];
  // A wrapper with a breaker of its own (a circuit around a circuit) keeps its own.
  if (lookup !== undefined && !Object.prototype.hasOwnProperty.call(wrapper, BREAKER_OF)) {
    Object.defineProperty(wrapper, BREAKER_OF, { value: lookup, configurable: true });
  }
  const reflect = Reflect as unknown as Partial<ReflectMetadata>;
  if (typeof reflect.getOwnMetadataKeys !== 'function' || typeof reflect.defineMetadata !== 'function') return;
  for (const key of reflect.getOwnMetadataKeys(original)) {
    reflect.defineMetadata(key, reflect.getOwnMetadata!(key, original), wrapper);
  }
}

// The slice of the reflect-metadata polyfill used here; it is the user's, never imported.
interface ReflectMetadata {
  getOwnMetadataKeys(target: object): unknown[];
  getOwnMetadata(key: unknown, target: object): unknown;
  defineMetadata(key: unknown, value: unknown, target: object): void;
}
