import { describeValue, invalid } from '../core/invalid-option.js';

/** Checks a policy helper's options: an object with only the known keys. */
export function checkOptionsObject(options: unknown, helper: string, keys: readonly string[]): void {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) invalid(TypeError, `${helper} options`, 'an object', options);
  for (const key of Object.keys(options)) {
    if (!keys.includes(key)) throw new TypeError(`unknown ${helper} option "${key}"`);
  }
}

/**
 * Reads a snapshot object that must have exactly `keys` as its own keys. JSON.parse makes
 * `__proto__` an own key; it is refused like any other stranger.
 */
export function restoreFields(state: unknown, what: string, keys: readonly string[]): Record<string, unknown> {
  if (typeof state !== 'object' || state === null || Array.isArray(state)) {
    throw new TypeError(`${what} snapshot must be an object, got ${describeValue(state)}`);
  }
  const own = Object.keys(state);
  const stranger = own.find((key) => !keys.includes(key));
  if (stranger !== undefined) throw new TypeError(`${what} snapshot has an unknown key "${stranger}"`);
  const missing = keys.find((key) => !own.includes(key));
  if (missing !== undefined) throw new TypeError(`${what} snapshot lacks "${missing}"`);
  return state as Record<string, unknown>;
}
