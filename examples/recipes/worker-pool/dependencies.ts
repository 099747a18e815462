import { CircuitBreaker } from 'circuitry';
import type { BreakerOptions } from 'circuitry';

/**
 * One breaker per downstream service, made once at start-up and registered under the service's
 * name (in `defaultRegistry` unless `options.registry` says otherwise), so jobs can find it by name.
 *
 * Keep the array: a registry holds its breakers weakly, and a breaker nobody holds is collected
 * and leaves the registry.
 */
export function guardDependencies(names: readonly string[], options: Omit<BreakerOptions, 'name'> = {}): CircuitBreaker[] {
  return names.map((name) => new CircuitBreaker({ failureThreshold: 3, recoveryTimeout: 10_000, ...options, name }));
}
