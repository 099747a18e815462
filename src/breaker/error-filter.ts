import { invalid } from '../check/check.js';

/** An `Error` class (or subclass); instances of it and of its subclasses match. */
export type ErrorClass = abstract new (...args: never[]) => Error;

/**
 * Which errors count as failures: an `Error` class, a list of them, or a predicate that returns
 * true for errors that count.
 */
export type ExpectedError = ErrorClass | readonly ErrorClass[] | ((error: unknown) => boolean);

/** Turns a validated `expectedError` option into a predicate. */
export function compileErrorFilter(expected: ExpectedError | undefined): ((error: unknown) => boolean) | undefined {
  if (expected === undefined) return undefined;
  if (Array.isArray(expected)) {
    if (expected.length === 0) throw new RangeError('expectedError must not be an empty array: no error would ever count');
    expected.forEach((entry, i) => {
      if (!isErrorClass(entry)) invalid(TypeError, `expectedError[${i}]`, 'an Error class', entry);
    });
    const classes = [...expected] as ErrorClass[];
    return (error) => classes.some((cls) => error instanceof cls);
  }
  if (isErrorClass(expected)) return (error) => error instanceof expected;
  if (typeof expected === 'function' && !isClass(expected)) return expected as (error: unknown) => boolean;
  return invalid(TypeError, 'expectedError', 'an Error class, an array of Error classes or a predicate function', expected);
}

function isErrorClass(value: unknown): value is ErrorClass {
  return typeof value === 'function' && (value === Error || value.prototype instanceof Error);
}

// A class that is not an Error class is a mistake, not a predicate: calling it would throw.
function isClass(value: Function): boolean {
  return /^class[\s{]/.test(Function.prototype.toString.call(value));
}
