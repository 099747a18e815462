/**
 * What the longest `Retry-After` may say, in seconds: a day. An isolated circuit refuses with no
 * end (`retryAfter` is `Infinity`); {@link retryAfterSeconds} gives `undefined` for it, and a
 * header needs a number, so callers who want one anyway can use this.
 */
export const MAX_RETRY_AFTER_SECONDS = 86_400;

/**
 * The `Retry-After` header's value, in whole seconds, for a refusal: its `retryAfter`
 * milliseconds rounded up, at least 1 (a client told 0 would retry at once), at most
 * {@link MAX_RETRY_AFTER_SECONDS}. `undefined` when no time is known: an isolated circuit
 * (`Infinity`), or a value that is not a refusal.
 *
 * @example
 * ```ts
 * const seconds = retryAfterSeconds(error);
 * if (seconds !== undefined) res.setHeader('retry-after', String(seconds));
 * ```
 */
export function retryAfterSeconds(refusal: { readonly retryAfter: number } | number | unknown): number | undefined {
  const ms = typeof refusal === 'number' ? refusal : (refusal as { retryAfter?: unknown } | null | undefined)?.retryAfter;
  if (typeof ms !== 'number' || Number.isNaN(ms) || ms === Infinity) return undefined;
  return Math.min(MAX_RETRY_AFTER_SECONDS, Math.max(1, Math.ceil(ms / 1000)));
}
