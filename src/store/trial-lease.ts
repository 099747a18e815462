/**
 * The fleet's trial lease as one process holds it: whether it may run a trial now, and when to
 * ask again after a refusal. One lease per breaker, so two breakers of a name in one process
 * never both probe.
 */
export interface Lease {
  /** While this process holds the lease: until when, on the breaker's clock. */
  until: number;
  /** The generation the lease was granted under: any change of the record ends it. */
  generation: number;
  /** How long it was granted for: `until` further ahead than this means the clock stepped back. */
  length: number;
  /** After a refusal: no new request for the lease before this time. */
  askAfter: number;
  /** The longest wait a refusal set: `askAfter` further ahead than this means the clock stepped back. */
  askFor: number;
  /** The request on its way, settling at its answer or the store's timeout. */
  asking: Promise<void> | undefined;
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

export function end(lease: Lease): void {
  lease.until = Number.NEGATIVE_INFINITY;
}

/** Granted: counted from the request, so this process gives it up no later than the store does. */
export function granted(lease: Lease, askedAt: number, length: number, generation: number): void {
  lease.until = askedAt + length;
  lease.length = length;
  lease.generation = generation;
}

/**
 * Refused: ask again when the store says it could succeed, but at least every `syncInterval`
 * and never later than one lease length, whatever the store says (its clock may be wrong).
 */
export function refused(lease: Lease, t: number, wait: number, syncInterval: number, length: number): void {
  const w = Number.isFinite(wait) ? Math.max(0, wait) : 0;
  lease.askFor = Math.min(w, syncInterval, length);
  lease.askAfter = t + lease.askFor;
}

/** Milliseconds until a trial may be permitted, as far as this process knows: never more than the refusal's wait, whatever the clock did. */
export function waitFor(lease: Lease, t: number): number {
  return lease.asking !== undefined ? 1 : Math.max(1, Math.min(lease.askAfter - t, lease.askFor));
}
