import type { ErrorSource } from './events.js';

/**
 * Receives errors that circuitry contains so that they cannot change a caller's result: a
 * throwing listener, a failing clock, a throwing `expectedError` predicate. `name` is the
 * breaker's name, or for `retry` the retried function's.
 */
export type ErrorReporter = (error: unknown, source: ErrorSource, name: string) => void;

/**
 * The default reporter: a process warning (`process.on('warning', …)` receives it; Node prints it
 * to stderr unless warnings are silenced), or `console.error` where there is no `process`.
 */
export const warnProcess: ErrorReporter = (error, source, name) => {
  const warning = new Error(`${source} of "${name || 'an anonymous function'}" threw: ${String(error)}`, { cause: error });
  warning.name = 'CircuitryWarning';
  if (typeof process === 'object' && typeof process.emitWarning === 'function') process.emitWarning(warning);
  else console.error(warning);
};

/** Calls `report`, and swallows what it throws: the last line of defence must not throw itself. */
export function safeReport(report: ErrorReporter, error: unknown, source: ErrorSource, breakerName: string): void {
  try {
    report(error, source, breakerName);
  } catch {
    // Nowhere left to send it without risking the caller's result or the process.
  }
}
