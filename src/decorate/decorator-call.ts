/**
 * How to tell a decorator call from a plain call: TypeScript's standard decorators pass
 * `(value, context)`, `experimentalDecorators` pass `(target, key, descriptor)`.
 */

/** True for the context object of a standard (TC39) decorator call. */
export function isDecoratorContext(value: unknown): value is DecoratorContext {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { kind?: unknown }).kind === 'string' &&
    typeof (value as { addInitializer?: unknown }).addInitializer === 'function'
  );
}

/** True for an `experimentalDecorators` call: a class or prototype, then a member key. */
export function isLegacyDecoratorCall(target: unknown, key: unknown): key is string | symbol {
  return (
    (typeof target === 'object' || typeof target === 'function') &&
    target !== null &&
    (typeof key === 'string' || typeof key === 'symbol')
  );
}

/** A member key for an error message: a string quoted, a symbol as written. */
export function describeKey(key: string | symbol): string {
  return typeof key === 'symbol' ? key.toString() : `"${key}"`;
}
