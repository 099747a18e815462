export { CircuitBreaker } from './breaker/breaker.js';
export type { BreakerOptions, BreakerRegistry, ExecuteOptions, OpenOptions, RampOptions, TrialsOptions } from './breaker/breaker.js';
export type { Clock } from './machine/clock.js';
export { BulkheadRejectedError, CircuitIsolatedError, CircuitOpenError, CircuitRampError, isBulkheadRejectedError, isCircuitOpenError, TimeoutError } from './breaker/errors.js';
export type { ErrorClass, ExpectedError } from './breaker/error-filter.js';
export type { CircuitState } from './machine/machine.js';
export type { ErrorReporter } from './breaker/report.js';
export type { CircuitSnapshot } from './breaker/snapshot.js';
export type { Fallback } from './breaker/fallback.js';
export { exponentialBackoff } from './policies/backoff.js';
export type { ExponentialBackoffOptions } from './policies/backoff.js';
export { countWindow } from './policies/count-window.js';
export type { CountWindowOptions } from './policies/count-window.js';
export type { RateOptions } from './policies/rate.js';
export { timeWindow } from './policies/time-window.js';
export type { TimeWindowOptions } from './policies/time-window.js';
export type { PolicyFactory, TripPolicy, WindowRule, WindowStats } from './machine/trip-policy.js';
export { restoreBreaker } from './breaker/restore.js';
export type { CircuitEvent, CircuitEvents, ErrorSource } from './breaker/events.js';
export { CircuitRegistry, defaultRegistry } from './breaker/registry.js';
export type { RegistryEvents } from './breaker/registry-events.js';
export type { CircuitStats } from './breaker/stats.js';
export { callSignal } from './breaker/call-signal.js';
export type { SignalOption } from './breaker/call-signal.js';
export { pipe } from './resilience/pipe.js';
export { retry } from './resilience/retry.js';
export type { Retrying, RetryInfo, RetryOptions } from './resilience/retry.js';
export { timeout } from './resilience/timeout.js';
export type { TimeoutOptions } from './resilience/timeout.js';
export { bulkhead, bulkheadOf } from './resilience/bulkhead.js';
export type { BulkheadDecoratorOptions, BulkheadGuarded, BulkheadOptions } from './resilience/bulkhead.js';
export type { Bulkhead, BulkheadRejection, BulkheadStats } from './resilience/bulkhead-permits.js';
export { retryBudget } from './resilience/retry-budget.js';
export type { RetryBudget, RetryBudgetOptions, RetryBudgetStats } from './resilience/retry-budget.js';
export { breakerOf } from './decorate/breaker-of.js';
export type {
  AsyncDecorated,
  AsyncMethodDecorator,
  CircuitGuarded,
  CircuitGuardedFunction,
  DecoratorMisuse,
  FallbackFits,
  WithBreaker,
} from './decorate/circuit.js';
export { circuit } from './decorate/circuit.js';
export type { CircuitSyncGuarded, CircuitSyncGuardedFunction, SyncDecorated, SyncFunction, SyncMethodDecorator } from './decorate/circuit-sync.js';
export { circuitSync } from './decorate/circuit-sync.js';
export type { CircuitDecoratorOptions, CircuitOptions } from './decorate/circuit-options.js';
export type { CircuitStore } from './breaker/store-link.js';
