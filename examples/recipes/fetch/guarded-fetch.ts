import { callSignal, circuit } from 'circuitry';
import type { BreakerOptions } from 'circuitry';

export interface GuardedFetchOptions extends Omit<BreakerOptions, 'isFailure'> {
  /** Milliseconds until the response headers arrive; then the request is aborted. Default 2,000. */
  timeout?: number;
}

/**
 * `fetch` behind a circuit breaker, one per upstream service. A 5xx answer counts as a failure
 * but still reaches the caller; a network error or a timeout counts and rejects; once the circuit
 * is open, calls reject with `CircuitOpenError` and no request leaves.
 */
export function guardedFetch({ timeout = 2_000, ...options }: GuardedFetchOptions = {}) {
  return circuit(
    // The signal is the breaker's, one per call: the caller's own would be replaced, so the type
    // refuses it.
    (input: string | URL, init?: Omit<RequestInit, 'signal'>) => fetch(input, { ...init, signal: callSignal() }),
    { ...options, timeout, isFailure: (response) => response.status >= 500 },
  );
}
