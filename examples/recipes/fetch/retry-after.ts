import { callSignal, circuit } from 'circuitry';
import type { GuardedFetchOptions } from './guarded-fetch.js';

/**
 * Milliseconds a response's `Retry-After` header asks for, in either of its forms: seconds
 * (`Retry-After: 120`) or an HTTP date (`Retry-After: Wed, 21 Oct 2026 07:28:00 GMT`), measured
 * from `now`. Undefined without the header, or when it is neither form. A date already past
 * gives 0 (the breaker's `minOpenPeriod` then applies).
 */
export function retryAfterMs(response: Response, now: number): number | undefined {
  const value = response.headers.get('retry-after')?.trim();
  if (!value) return undefined;
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  // An HTTP date starts with its day's name; Date.parse alone would take "-5" as a year.
  const at = /^[a-z]{3},/i.test(value) ? Date.parse(value) : Number.NaN;
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/**
 * `fetch` behind a breaker that stays open for as long as the upstream says: a 429 or 503 with a
 * `Retry-After` opens the circuit at once for that long (bounded by `maxOpenPeriod`, 5 minutes
 * by default), and no request leaves until then. Any 5xx counts as a failure, as in
 * `guardedFetch`; one without `Retry-After` counts toward `failureThreshold` as usual.
 *
 * The open stays in this process even with a `store`: a 429 is often one API key's quota, and
 * it must not stop every process of the fleet (pass `shareOpenPeriodOf: true` if it should).
 */
export function retryAfterFetch({ timeout = 2_000, ...options }: GuardedFetchOptions = {}) {
  const clock = options.clock ?? { now: () => Date.now() };
  return circuit(
    (input: string | URL, init?: Omit<RequestInit, 'signal'>) => fetch(input, { ...init, signal: callSignal() }),
    {
      ...options,
      timeout,
      isFailure: (response) => response.status === 429 || response.status >= 500,
      // A failure is a Response that isFailure judged, or an error (network, timeout): only the first has headers.
      openPeriodOf: (failure: unknown) =>
        failure instanceof Response && (failure.status === 429 || failure.status === 503) ? retryAfterMs(failure, clock.now()) : undefined,
    },
  );
}
