// A registered symbol, not a class identity, so two copies of the library recognise each other's errors.
const BRAND = Symbol.for('circuitry.CircuitOpenError');

/**
 * The error a call gets when the circuit does not let it run: the circuit is open, or it is
 * half-open and every trial slot is taken (or a `ramp` refused it: {@link CircuitRampError}). The
 * guarded function was not called.
 *
 * @example
 * ```ts
 * try {
 *   await getUser('42');
 * } catch (error) {
 *   if (isCircuitOpenError(error)) console.log(`users-api is down, retry in ${error.retryAfter} ms`);
 * }
 * ```
 */
export class CircuitOpenError extends Error {
  /** The name of the breaker that rejected the call. */
  readonly breakerName: string;
  /** Milliseconds until the breaker may admit a trial call; 0 if it may already. */
  readonly retryAfter: number;
  /** The state the breaker was in when it rejected the call: `'closed'` while a ramp refuses calls. */
  readonly state: 'open' | 'half-open' | 'isolated' | 'closed';
  /**
   * A stable code to tell refusals apart without `instanceof`: `'CIRCUITRY_OPEN'`,
   * `'CIRCUITRY_ISOLATED'`, or `'CIRCUITRY_RAMP'`.
   */
  declare readonly code: 'CIRCUITRY_OPEN' | 'CIRCUITRY_ISOLATED' | 'CIRCUITRY_RAMP';

  /**
   * @param breakerName - the rejecting breaker's name
   * @param retryAfter - milliseconds until a trial call may be admitted
   * @param state - `'open'`, `'half-open'` when every trial slot was taken, `'isolated'`, or
   *   `'closed'` when a ramp refused the call
   * @param cause - the failure that opened the circuit, when known
   */
  constructor(
    breakerName: string,
    retryAfter: number,
    state: 'open' | 'half-open' | 'isolated' | 'closed' = 'open',
    cause?: unknown,
  ) {
    // An open circuit rejects every call, and a stack trace costs about 2.5 µs apiece while
    // saying nothing about why the call was refused. So the trace is left out; what a reader
    // needs is the breaker's name, when to retry, and the failure that opened it (`cause`),
    // whose own stack is intact.
    const limit = Error.stackTraceLimit;
    const muted = setStackTraceLimit(0);
    try {
      super(describe(breakerName, retryAfter, state), cause === undefined ? undefined : { cause });
    } finally {
      if (muted) setStackTraceLimit(limit);
    }
    this.breakerName = breakerName;
    this.retryAfter = retryAfter;
    this.state = state;
  }
}

nameErrorClass(CircuitOpenError, 'CircuitOpenError', 'CIRCUITRY_OPEN');
Object.defineProperty(CircuitOpenError.prototype, BRAND, { value: true });

// The name and code live on the prototype, as a built-in error's name does, so they are not own
// enumerable properties of every instance; one helper for the three classes keeps the bundle small.
function nameErrorClass(cls: abstract new (...args: never[]) => Error, name: string, code: string): void {
  Object.defineProperty(cls.prototype, 'name', { value: name, writable: true, configurable: true });
  Object.defineProperty(cls.prototype, 'code', { value: code, writable: true, configurable: true });
}

// Frozen intrinsics (SES, `--frozen-intrinsics`) refuse the write: then the trace is kept.
function setStackTraceLimit(limit: number): boolean {
  try {
    Error.stackTraceLimit = limit;
    return true;
  } catch {
    return false;
  }
}

function describe(name: string, retryAfter: number, state: 'open' | 'half-open' | 'isolated' | 'closed'): string {
  if (state === 'isolated') return `Circuit "${name}" is isolated; calls are refused until it is released`;
  const wait = Math.ceil(retryAfter);
  if (state === 'closed') return `Circuit "${name}" is ramping up; retry in ${wait} ms`;
  if (state === 'half-open') {
    return `Circuit "${name}" is half-open and its trial calls are all in flight; a slot frees up when one settles, or in ${wait} ms at the latest`;
  }
  return wait > 0
    ? `Circuit "${name}" is open; a trial call will be allowed in ${wait} ms`
    : `Circuit "${name}" is open; a trial call is allowed now`;
}

/**
 * The error a call gets while the circuit is isolated by `breaker.isolate()`: held open by hand,
 * with no trial calls, until every hold is released. `retryAfter` is `Infinity`.
 */
export class CircuitIsolatedError extends CircuitOpenError {
  /** Always `'CIRCUITRY_ISOLATED'`. */
  declare readonly code: 'CIRCUITRY_ISOLATED';

  /**
   * @param breakerName - the rejecting breaker's name
   * @param cause - the failure that last opened the circuit, when known
   */
  constructor(breakerName: string, cause?: unknown) {
    super(breakerName, Infinity, 'isolated', cause);
  }
}

nameErrorClass(CircuitIsolatedError, 'CircuitIsolatedError', 'CIRCUITRY_ISOLATED');

/**
 * The error a call gets while a `ramp` admits only a share of the calls after the circuit closed,
 * and this call was not among them. Like every refusal it is a {@link CircuitOpenError}: a fallback
 * serves it, `retry` waits its `retryAfter`, `stats()` counts it among `rejections`.
 */
export class CircuitRampError extends CircuitOpenError {
  /** Always `'CIRCUITRY_RAMP'`. */
  declare readonly code: 'CIRCUITRY_RAMP';
  /** Always `'closed'`: a ramp runs while the circuit is closed. */
  declare readonly state: 'closed';
}

nameErrorClass(CircuitRampError, 'CircuitRampError', 'CIRCUITRY_RAMP');

/**
 * True when `error` is a {@link CircuitOpenError}, even one thrown by another copy of circuitry
 * loaded in the same process (where `instanceof` would say false).
 */
export function isCircuitOpenError(error: unknown): error is CircuitOpenError {
  return typeof error === 'object' && error !== null && (error as Record<symbol, unknown>)[BRAND] === true;
}

/**
 * The error of a call that took longer than its `timeout`. Its name is `'TimeoutError'`, as
 * `AbortSignal.timeout()` makes, so a breaker counts it among `timeouts`.
 */
export class TimeoutError extends Error {
  /** The time allowed, in ms. */
  readonly timeout: number;
  /** Always `'CIRCUITRY_TIMEOUT'`, to tell it from other errors named `'TimeoutError'`. */
  declare readonly code: 'CIRCUITRY_TIMEOUT';

  constructor(what: string, ms: number) {
    super(`${what} timed out after ${ms} ms`);
    this.timeout = ms;
  }
}

nameErrorClass(TimeoutError, 'TimeoutError', 'CIRCUITRY_TIMEOUT');

const BULKHEAD_BRAND = Symbol.for('circuitry.BulkheadRejectedError');

/**
 * The error a call gets when a bulkhead turns it away: every permit is in use and the queue is
 * full (`reason: 'full'`), or it waited `queueTimeout` ms in the queue (`reason: 'queueTimeout'`).
 * The guarded function was not called. A breaker around the bulkhead must not count it as the
 * dependency's failure: the dependency was never asked.
 *
 * @example
 * ```ts
 * try {
 *   await getUser('42');
 * } catch (error) {
 *   if (isBulkheadRejectedError(error)) console.log(`${error.bulkheadName} is saturated: ${error.reason}`);
 * }
 * ```
 */
export class BulkheadRejectedError extends Error {
  /** The name of the bulkhead that turned the call away. */
  readonly bulkheadName: string;
  /** `'full'`: no permit and no room in the queue; `'queueTimeout'`: no permit within `queueTimeout` ms. */
  readonly reason: 'full' | 'queueTimeout';
  /** Always `'CIRCUITRY_BULKHEAD_FULL'`, to tell it apart without `instanceof`. */
  declare readonly code: 'CIRCUITRY_BULKHEAD_FULL';

  /**
   * @param bulkheadName - the refusing bulkhead's name
   * @param reason - `'full'` or `'queueTimeout'`
   * @param limits - its `maxConcurrent` and `maxQueue`, for the message
   */
  constructor(bulkheadName: string, reason: 'full' | 'queueTimeout', limits: { readonly maxConcurrent: number; readonly maxQueue: number }) {
    // Refusals come in floods when a bulkhead is saturated; like a CircuitOpenError's, their stack
    // trace would cost more than the refusal and say nothing about why.
    const limit = Error.stackTraceLimit;
    const muted = setStackTraceLimit(0);
    try {
      super(
        reason === 'full'
          ? `Bulkhead "${bulkheadName}" is full: ${limits.maxConcurrent} calls in flight and ${limits.maxQueue} waiting`
          : `Bulkhead "${bulkheadName}" had no free permit for a queued call within its queueTimeout (${limits.maxConcurrent} calls in flight)`,
      );
    } finally {
      if (muted) setStackTraceLimit(limit);
    }
    this.bulkheadName = bulkheadName;
    this.reason = reason;
    // Set here rather than on the prototype, as the other errors do: a statement beside the class
    // would keep it in every bundle, and `{ circuit }` alone must not carry a bulkhead's error.
    const hidden = { writable: true, configurable: true };
    Object.defineProperties(this, {
      name: { value: 'BulkheadRejectedError', ...hidden },
      code: { value: 'CIRCUITRY_BULKHEAD_FULL', ...hidden },
      [BULKHEAD_BRAND]: { value: true },
    });
  }
}

/**
 * True when `error` is a {@link BulkheadRejectedError}, even one thrown by another copy of
 * circuitry loaded in the same process.
 */
export function isBulkheadRejectedError(error: unknown): error is BulkheadRejectedError {
  return typeof error === 'object' && error !== null && (error as Record<symbol, unknown>)[BULKHEAD_BRAND] === true;
}
