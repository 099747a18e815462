/**
 * The fleet's trial lease as one process holds it: whether it may run a trial now, and when to
 * ask again after a refusal. One lease per breaker, so two breakers of a name in one process
 * never both probe. Plain data; each function returns the lease after the event it is named for.
 */
export interface Lease {
  /** While this process holds the lease: until when, on the breaker's clock. */
  readonly until: number;
  /** The generation the lease was granted under: any change of the record ends it. */
  readonly generation: number;
  /** How long it was granted for: `until` further ahead than this means the clock stepped back. */
  readonly length: number;
  /** After a refusal: no new request for the lease before this time. */
  readonly askAfter: number;
  /** The longest wait a refusal set: `askAfter` further ahead than this means the clock stepped back. */
  readonly askFor: number;
  /** The request on its way, settling at its answer or the store's timeout. */
  readonly asking: Promise<void> | undefined;
}

export const newLease = (): Lease => ({
  until: Number.NEGATIVE_INFINITY,
  length: 0,
  generation: -1,
  askAfter: Number.NEGATIVE_INFINITY,
  askFor: 0,
  asking: undefined,
});

/**
 * Instants here are on the breaker's clock, which can step back: a lease that ends further ahead
 * than its own length is over (the store's ended on time), so a step back never stretches it.
 */
export function holds(lease: Lease, t: number, generation: number): boolean {
  return t < lease.until && lease.until - t <= lease.length && lease.generation === generation;
}

/** Due at `askAfter`, or at once when that is further ahead than the refusal's wait (the clock stepped back). */
export function mayAsk(lease: Lease, t: number): boolean {
  return (t >= lease.askAfter || lease.askAfter - t > lease.askFor) && lease.asking === undefined;
}

/** Given up: a change of this process, or of the record, ends the lease. */
export function end(lease: Lease): Lease {
  return { ...lease, until: Number.NEGATIVE_INFINITY };
}

/** A request for the lease went out; `asking` settles at its answer or the store's timeout. */
export function asked(lease: Lease, asking: Promise<void>): Lease {
  return { ...lease, asking };
}

/** The request for the lease settled, answered or not. */
export function answered(lease: Lease): Lease {
  return { ...lease, asking: undefined };
}

/** Granted: counted from the request, so this process gives it up no later than the store does. */
export function granted(lease: Lease, askedAt: number, length: number, generation: number): Lease {
  return { ...lease, until: askedAt + length, length, generation };
}

/**
 * Refused: ask again when the store says it could succeed, but at least every `syncInterval`
 * and never later than one lease length, whatever the store says (its clock may be wrong).
 */
export function refused(lease: Lease, t: number, wait: number, syncInterval: number, length: number): Lease {
  const w = Number.isFinite(wait) ? Math.max(0, wait) : 0;
  const askFor = Math.min(w, syncInterval, length);
  return { ...lease, askFor, askAfter: t + askFor };
}

/** Milliseconds until a trial may be permitted, as far as this process knows: never more than the refusal's wait, whatever the clock did. */
export function waitFor(lease: Lease, t: number): number {
  return lease.asking !== undefined ? 1 : Math.max(1, Math.min(lease.askAfter - t, lease.askFor));
}
