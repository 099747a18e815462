import type { CircuitBreaker, CircuitRegistry } from 'circuitry';
import { retryAfterSeconds } from './retry-after.js';

/** One breaker as the status endpoint serves it. */
export interface CircuitStatus {
  /** The key the registry lists it under: unique, and what metrics label it with. */
  readonly key: string;
  /** The breaker's name. */
  readonly name: string;
  /** Its state now: `closed`, `open`, `half-open`, `isolated` or `disabled`. */
  readonly state: string;
  /** Counted failures in a row. */
  readonly consecutiveFailures: number;
  /** Milliseconds until a call may be admitted; `null` while isolated (no end is known). */
  readonly retryAfter: number | null;
  /** The same in whole seconds, as a `Retry-After` header would say; `null` when closed or isolated. */
  readonly retryAfterSeconds: number | null;
  /** The window's counts and rates (0 to 1); `null` for the default policy. */
  readonly window: {
    /** Calls the window holds. */
    calls: number;
    /** Counted failures among them. */
    failures: number;
    /** Slow calls among them. */
    slowCalls: number;
    /** `failures / calls`, 0 while it holds none. */
    failureRate: number;
    /** `slowCalls / calls`, 0 while it holds none. */
    slowCallRate: number;
  } | null;
  /** The last counted failure's message, only when `exposeErrors` is on. */
  readonly lastFailure?: string | undefined;
  /** Every other field of `stats()`: the cumulative counts (`successes`, `failures`...) and `since` (null until a change). */
  readonly [field: string]: unknown;
}

/** The status endpoint's answer. */
export interface StatusReport {
  /** When it was read, in ms since the epoch (the server's wall clock). */
  readonly time: number;
  /** How often the page reads it again, in ms. */
  readonly refresh: number;
  /** Whether control actions are enabled (the page shows its buttons then). */
  readonly control: boolean;
  /** Every breaker of the registry, in the order `entries()` lists them. */
  readonly circuits: CircuitStatus[];
}

function messageOf(error: unknown): string | undefined {
  if (error === undefined) return undefined;
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}

/** A breaker's `stats()` made JSON: every field of it, so new ones flow through unnamed. */
export function circuitStatus(key: string, breaker: CircuitBreaker, exposeErrors: boolean): CircuitStatus {
  const stats = breaker.stats();
  const window = stats.window;
  const finite = Number.isFinite(stats.retryAfter);
  // Every field, undefined ones as null: JSON would drop them, and a reader should see them.
  const fields: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(stats)) fields[field] = value === undefined ? null : value;
  const status = {
    ...fields,
    key,
    window:
      window === undefined
        ? null
        : { ...window, failureRate: window.calls === 0 ? 0 : window.failures / window.calls, slowCallRate: window.calls === 0 ? 0 : window.slowCalls / window.calls },
    retryAfter: finite ? stats.retryAfter : null,
    retryAfterSeconds: finite && stats.retryAfter > 0 ? retryAfterSeconds(stats.retryAfter)! : null,
  } as CircuitStatus;
  return exposeErrors ? { ...status, lastFailure: messageOf(breaker.lastFailure) } : status;
}

export function statusReport(registry: CircuitRegistry, refresh: number, control: boolean, exposeErrors: boolean): StatusReport {
  return { time: Date.now(), refresh, control, circuits: registry.entries().map(([key, breaker]) => circuitStatus(key, breaker, exposeErrors)) };
}
