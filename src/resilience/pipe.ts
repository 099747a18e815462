/**
 * Applies wrappers to `fn` from the inside out: the first layer wraps `fn`, the next wraps that,
 * and so on; types flow through every layer.
 *
 * The order is the meaning. `pipe(fn, (f) => retry(f), (f) => circuit(f))` puts retry inside the
 * breaker: the breaker sees one call per retry sequence, and counts one failure only when every
 * attempt failed. `pipe(fn, (f) => circuit(f), (f) => retry(f))` puts retry outside: every attempt
 * passes through the breaker (and counts), and an open circuit makes retry wait its `retryAfter`
 * or give up.
 *
 * @example
 * ```ts
 * const getUser = pipe(
 *   fetchUser,
 *   (f) => timeout(f, 2_000),
 *   (f) => retry(f, { attempts: 3 }),
 *   (f) => circuit(f, { name: 'users-api', fallback: () => null }),
 * );
 * ```
 */
export function pipe<F>(fn: F): F;
export function pipe<F, A>(fn: F, a: (f: F) => A): A;
export function pipe<F, A, B>(fn: F, a: (f: F) => A, b: (f: A) => B): B;
export function pipe<F, A, B, C>(fn: F, a: (f: F) => A, b: (f: A) => B, c: (f: B) => C): C;
export function pipe<F, A, B, C, D>(fn: F, a: (f: F) => A, b: (f: A) => B, c: (f: B) => C, d: (f: C) => D): D;
export function pipe<F, A, B, C, D, E>(fn: F, a: (f: F) => A, b: (f: A) => B, c: (f: B) => C, d: (f: C) => D, e: (f: D) => E): E;
export function pipe(fn: unknown, ...layers: ((f: unknown) => unknown)[]): unknown {
  layers.forEach((layer, i) => {
    if (typeof layer !== 'function') throw new TypeError(`pipe layer ${i + 1} must be a function, got ${typeof layer}`);
  });
  return layers.reduce((inner, layer) => layer(inner), fn);
}
