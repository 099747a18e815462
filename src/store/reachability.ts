/**
 * Whether the store's backend answers, and the outage the breakers were told of: a union of
 * states and pure functions from one to the next, so the transport only carries them out.
 */

/** The kinds of request a breaker makes; one of each may be outstanding. */
export type Slot = 'read' | 'write' | 'lease';

/** What the breakers were told when the outage began (a breaker made during it is told the same). */
export interface Outage {
  readonly error: unknown;
  readonly operation: string;
  /** A write failed first: reads answered say nothing of whether writes land. */
  readonly beganWithWrite: boolean;
}

export type Reachability =
  /** The backend answered its last request, and no outage is on. */
  | { readonly state: 'reachable' }
  /** A request failed: the outage is on, and nothing goes out but one probe at a time. */
  | { readonly state: 'unreachable'; readonly outage: Outage }
  /**
   * Answering again after a write failed: requests go out, but the outage goes on until a write
   * lands or a whole sync passes without a failure. Without it, a store that answers reads but
   * refuses writes (out of memory, a read-only replica) would be down and up at every sync.
   */
  | { readonly state: 'writes-unconfirmed'; readonly outage: Outage };

export const REACHABLE: Reachability = { state: 'reachable' };

/** A request of kind `slot` failed or timed out. */
export function afterFailure(r: Reachability, error: unknown, operation: string, slot: Slot): Reachability {
  // One outage is told once, however many requests fail in it.
  if (r.state === 'unreachable') return r;
  if (r.state === 'writes-unconfirmed') return { state: 'unreachable', outage: r.outage };
  return { state: 'unreachable', outage: { error, operation, beganWithWrite: slot === 'write' } };
}

/** A request of kind `slot` was answered, in time or not: either way the backend is there. */
export function afterAnswer(r: Reachability, slot: Slot): Reachability {
  if (r.state === 'reachable') return r;
  if (!r.outage.beganWithWrite) return REACHABLE;
  const writeLanded = slot === 'write';
  if (writeLanded) return REACHABLE;
  return { state: 'writes-unconfirmed', outage: r.outage };
}

/** A whole sync's requests settled, and nothing is waiting to be written: answered reads suffice. */
export function afterQuietSync(r: Reachability): Reachability {
  return r.state === 'writes-unconfirmed' ? REACHABLE : r;
}

/** The outage on, if any: from the `storeDown` told until the `storeUp`. */
export function outageOf(r: Reachability): Outage | undefined {
  return r.state === 'reachable' ? undefined : r.outage;
}

/** What the breakers are to be told when the reachability moves from `before` to `after`. */
export function announcement(before: Reachability, after: Reachability): 'down' | 'up' | undefined {
  const outageBefore = before.state !== 'reachable';
  const outageAfter = after.state !== 'reachable';
  if (!outageBefore && outageAfter) return 'down';
  if (outageBefore && !outageAfter) return 'up';
  return undefined;
}

/** Where a request's slot stands on its breaker's lane. */
export type SlotState = 'free' | 'waiting' | 'given-up';

/** Where a request goes: its breaker's own slot, the store's one probe slot, or nowhere. */
export type Route = 'own-slot' | 'probe-slot' | 'not-sent';

/**
 * Where a request of kind `slot` goes. `mayProbe`: a read that may go as the store's probe while
 * the backend is unreachable. `probeOutstanding`: a probe is out and not yet overdue (the
 * transport lets an overdue one be replaced, waiting twice as long each time). Per breaker one
 * request of each kind is outstanding, and one probe for the whole store: that bounds what is
 * queued however long the backend hangs.
 */
export function route(r: Reachability, slot: Slot, mayProbe: boolean, slotState: SlotState, probeOutstanding: boolean): Route {
  if (r.state === 'unreachable') {
    // A probe goes on the store's own slot, not the breaker's: a request lost for good (no answer,
    // no error) holds its breaker's slot, and a probe waiting for that slot would never go,
    // leaving the store away forever. The probe's answer frees the lost one.
    if (!mayProbe || probeOutstanding) return 'not-sent';
    return 'probe-slot';
  }
  const readStuckBehindLostRequest = slot === 'read' && slotState === 'given-up';
  if (readStuckBehindLostRequest) {
    // A breaker whose only request was lost would otherwise never be answered again, and
    // nothing would free its slot: the read goes on the probe slot.
    return probeOutstanding ? 'not-sent' : 'probe-slot';
  }
  if (slotState !== 'free') return 'not-sent';
  return 'own-slot';
}
