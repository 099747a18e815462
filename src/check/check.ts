/**
 * The one place options and snapshots are checked. Every checker throws a `TypeError` (wrong
 * kind of value) or a `RangeError` (right kind, out of range) whose message names the option and
 * the value, so a mistake is caught where it is written, never replaced by a silent default.
 */

/** Renders a rejected value for an error message: strings quoted, types named. */
export function describeValue(value: unknown): string {
  const type = typeof value;
  if (type === 'string') return `"${value as string}" (a string)`;
  if (type === 'bigint') return `${value as bigint}n`;
  if (type === 'function') return (value as Function).name ? `function ${(value as Function).name}` : 'an anonymous function';
  if (type !== 'object' || value === null) return String(value);
  return Array.isArray(value) ? 'an array' : 'an object';
}

/** Throws `new Type("<option> must be <expected>, got <value>")`. */
export function invalid(Type: new (message: string) => Error, option: string, expected: string, value: unknown): never {
  throw new Type(`${option} must be ${expected}, got ${describeValue(value)}`);
}

/**
 * The longest delay a timer honours: Node, browsers and workers fire a longer one after 1 ms.
 * Durations that drive a timer are refused above it rather than silently cut short.
 */
const MAX_TIMER_DELAY = 2 ** 31 - 1;

/** A plain object of options (undefined is an empty one). */
export type OptionBag = Record<string, unknown>;

/**
 * Checks that `options` is a plain object (undefined is an empty one) whose keys are all in
 * `known`, when given. `what` names it in messages: `circuit`, `retry`, `timeWindow`...
 */
export function optionsObject(
  options: unknown,
  what: string,
  known?: ReadonlySet<string> | readonly string[],
  expected = 'an object',
): OptionBag {
  if (options === undefined) return {};
  const o = plainObject(options, `${what} options`, expected);
  if (known !== undefined) {
    const has = (key: string) => (Array.isArray(known) ? known.includes(key) : (known as ReadonlySet<string>).has(key));
    for (const key of Object.keys(o)) {
      if (!has(key)) throw new TypeError(`unknown ${what} option "${key}"`);
    }
  }
  return o;
}

/** {@link optionsObject} for options that must be given: undefined is refused like any non-object. */
export function requiredOptions(options: unknown, what: string, known: readonly string[]): OptionBag {
  if (options === undefined) invalid(TypeError, `${what} options`, 'an object', options);
  return optionsObject(options, what, known);
}

/** An integer of at least `min` (default 1), or `fallback` when absent. */
export function positiveInteger(o: OptionBag, key: string, fallback: number, min = 1): number {
  const value = o[key];
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || (value as number) < min) {
    invalid(typeof value === 'number' ? RangeError : TypeError, key, min === 1 ? 'a positive integer' : `an integer of at least ${min}`, value);
  }
  return value as number;
}

/**
 * Milliseconds: a finite number above 0 (or 0 and above with `zero`), or `fallback` when absent.
 * With `timer`, it drives a timer and may not exceed {@link MAX_TIMER_DELAY}.
 */
export function duration(o: OptionBag, key: string, fallback: number, how: { readonly zero?: boolean; readonly timer?: boolean } = {}): number {
  const value = o[key];
  if (value === undefined) return fallback;
  return checkDuration(value, key, how);
}

/** {@link duration} for a value that is not in an options object (`timeout(fn, ms)`). */
export function checkDuration(value: unknown, key: string, how: { readonly zero?: boolean; readonly timer?: boolean } = {}): number {
  const ok = typeof value === 'number' && Number.isFinite(value) && (how.zero ? value >= 0 : value > 0);
  if (!ok) {
    const expected = how.zero ? 'a finite number of milliseconds (0 or more)' : 'a positive finite number of milliseconds';
    invalid(typeof value === 'number' ? RangeError : TypeError, key, expected, value);
  }
  if (how.timer && (value as number) > MAX_TIMER_DELAY) {
    invalid(RangeError, key, `at most ${MAX_TIMER_DELAY} ms (the longest a timer can wait)`, value);
  }
  return value as number;
}

/** An optional function-valued option. */
export function optionalFunction<F>(o: OptionBag, key: string): F | undefined {
  const value = o[key];
  if (value !== undefined && typeof value !== 'function') invalid(TypeError, key, 'a function', value);
  return value as F | undefined;
}

/** A plain object (not null, not an array), or a `TypeError` naming `what` and what it should be. */
export function plainObject(value: unknown, what: string, expected = 'an object'): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) invalid(TypeError, what, expected, value);
  return value as Record<string, unknown>;
}

/**
 * Reads a snapshot object (`what` names it) that must have exactly `keys` as its own keys.
 * JSON.parse makes `__proto__` an own key; it is refused like any other stranger.
 */
export function exactKeys(state: unknown, what: string, keys: readonly string[]): Record<string, unknown> {
  const s = plainObject(state, what);
  const own = Object.keys(s);
  const stranger = own.find((key) => !keys.includes(key));
  if (stranger !== undefined) throw new TypeError(`${what} has an unknown key "${stranger}"`);
  const missing = keys.find((key) => !own.includes(key));
  if (missing !== undefined) throw new TypeError(`${what} lacks "${missing}"`);
  return s;
}
