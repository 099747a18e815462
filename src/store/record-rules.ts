/**
 * How a process takes in the shared record: pure functions of a record and the local state,
 * returning a decision the store carries out. No promises, no clocks, no breaker.
 */
import type { CircuitState, Opening } from '../breaker/attached-breaker.js';
import type { ChangeMode, SharedRecord } from './shared-record.js';

/** A record that passed {@link checkRecord}: one of ours, with sane numbers. */
export interface UsableRecord extends SharedRecord {
  readonly state: 'none' | 'closed' | 'open';
}

/**
 * The record as this process may use it, or what is wrong with it. A backend's answer is input
 * from elsewhere (another version, another writer, a damaged key): a value that would make a
 * breaker wait forever or compute NaN is refused here, and the breaker decides alone.
 */
export function checkRecord(record: unknown): UsableRecord | string {
  if (typeof record !== 'object' || record === null) return `not a record: ${String(record)}`;
  const r = record as Partial<SharedRecord>;
  if (r.state === 'foreign') return r.problem ?? 'not a circuitry record';
  if (r.state !== 'none' && r.state !== 'closed' && r.state !== 'open') return `unknown state ${JSON.stringify(r.state)}`;
  for (const field of ['generation', 'elapsed', 'openPeriod', 'openings'] as const) {
    if (typeof r[field] !== 'number' || !Number.isFinite(r[field])) return `${field} is not a finite number: ${String(r[field])}`;
  }
  if (r.openPeriod! < 0 || r.openings! < 0) return `negative openPeriod or openings: ${r.openPeriod}, ${r.openings}`;
  // An open time ahead of the backend's clock (a clock stepped back, a failover) must not
  // stretch the period: at most the whole period is left.
  const elapsed = Math.min(Math.max(r.elapsed!, 0), r.openPeriod!);
  const at = typeof r.at === 'number' && Number.isFinite(r.at) ? r.at : undefined;
  return { state: r.state, generation: r.generation!, elapsed, openPeriod: r.openPeriod!, openings: r.openings!, ...(at !== undefined && { at }) };
}

/** What this process knows of its shared record. */
export interface LocalView {
  readonly state: CircuitState;
  /** The generation of the record last taken in. */
  readonly generation: number;
  /** The generation this process was last granted the trial lease under; undefined when never. */
  readonly leaseGeneration?: number | undefined;
}

/** What to do with a record. */
export type Decision =
  /** Nothing to take in. */
  | { readonly kind: 'keep' }
  /** The store lost the record: publish what this process knows. */
  | { readonly kind: 'publish'; readonly mode: ChangeMode }
  /** Take in the record's generation (a new one ends any lease), and `adopt` its state. */
  | { readonly kind: 'take'; readonly record: UsableRecord; readonly renewed: boolean; readonly adopt: 'open' | 'close' | 'nothing' };

/**
 * Takes in a record the store returned. A record of a generation already taken in changes
 * nothing, unless the two disagree on whether the circuit is closed: then the store's wins.
 */
export function reconcile(record: UsableRecord, local: LocalView): Decision {
  // Isolated and disabled are set by hand in this process, and hold until released here;
  // what the fleet did meanwhile is taken in at the first sync after.
  if (local.state === 'isolated' || local.state === 'disabled') return KEEP;
  if (record.state === 'none') {
    // The store lost the record (expired, or a restart without persistence): an open still
    // running here goes back in. One whose time is over (half-open here) does not: it says
    // nothing the trials will not, and put back it would undo a close another process decided
    // while the store was away.
    return local.state === 'open' ? { kind: 'publish', mode: 'trip' } : KEEP;
  }
  const agrees = (record.state === 'closed') === (local.state === 'closed');
  const renewed = record.generation !== local.generation;
  if (verdictMissing(record, local)) return { kind: 'publish', mode: 'trial' };
  if (!renewed && agrees) return KEEP;
  let adopt: 'open' | 'close' | 'nothing' = 'nothing';
  if (record.state === 'closed') {
    if (local.state !== 'closed') adopt = 'close';
  } else if (local.state !== 'half-open' || record.elapsed < record.openPeriod) {
    // Over in both places, half-open stays as it is, trials and all.
    adopt = 'open';
  }
  return { kind: 'take', record, renewed, adopt };
}

/**
 * Whether the record is still the open this process ran its trials of, after it left half-open:
 * its verdict (a close, or an open again) is not in the record. Published as a trip, an open
 * would change nothing (the record is open already), and once the lease lapsed another process
 * would run a second trial of the same open; so whatever this process is now goes in as that
 * trial's verdict. Found by the fleet simulation, seeds 18384 and 18976: a close refused as late,
 * then a trip.
 */
function verdictMissing(record: UsableRecord, local: LocalView): boolean {
  const leftHalfOpen = local.state === 'open' || local.state === 'closed';
  return record.state === 'open' && record.generation === local.generation && local.leaseGeneration === record.generation && leftHalfOpen;
}

/**
 * Whether the record in an answer (to a read or a lease request) is history: another answer was
 * taken in while this one was on its way, and this record is of an older generation. Generations
 * only grow (a record made afresh numbers them from the backend's clock), so this answer was
 * made before that other answer's change; taken in, it would undo it, and with push trusted
 * nothing would read the record again until the next resync. Found by the fleet simulation, seed
 * 3586: a read overtaken by the close its own process sent.
 */
export function overtaken(record: UsableRecord, local: LocalView, answeredMeanwhile: boolean): boolean {
  return answeredMeanwhile && record.generation < local.generation;
}

/**
 * Takes in a record while a change of this process is unconfirmed (pending, or refused as late):
 * the change goes out again, unless the record moved on meanwhile (someone else decided, or the
 * store took the change and its answer came too late): then the record is taken in as it is.
 */
export function reconcileUnconfirmed(record: UsableRecord, local: LocalView, lastMode: ChangeMode): Decision {
  if (!sharedState(local.state)) return KEEP;
  // A change made by hand always wins: it goes again, whatever the store holds now.
  if (lastMode === 'force') return { kind: 'publish', mode: 'force' };
  if (record.state === 'none') {
    // The store lost the record. A trial's close goes in as it is (nothing is left to judge it
    // against), so the fleet hears what the trial found; otherwise only a running open goes back.
    if (local.state === 'closed' && lastMode === 'trial') return { kind: 'publish', mode: 'force' };
    return reconcile(record, local);
  }
  if (record.generation !== local.generation) return reconcile(record, local);
  if (verdictMissing(record, local)) return { kind: 'publish', mode: 'trial' };
  // A trial's verdict only means something against the open it was a trial of.
  const mode = lastMode === 'trial' && record.state !== 'open' && local.state !== 'closed' ? 'trip' : lastMode;
  return { kind: 'publish', mode };
}

/**
 * The answer to a change this process has since followed with another (it tripped again while
 * its close was on the way). When the record shows the change landed, only its generation is
 * taken in: the newer change is based on it, and goes next. Taken in as a decision, the older
 * record would undo the newer change. A record that shows otherwise is taken in as any other.
 */
export function superseded(record: UsableRecord, sent: 'open' | 'close', local: LocalView): Decision {
  if (record.state === 'none' || (record.state === 'open') !== (sent === 'open')) return reconcile(record, local);
  return { kind: 'take', record, renewed: record.generation !== local.generation, adopt: 'nothing' };
}

const KEEP: Decision = { kind: 'keep' };

/** What a process sends to the store for a local change. */
export type Publication =
  | { readonly op: 'open'; readonly openPeriod: number; readonly elapsed: number; readonly openings: number }
  | { readonly op: 'close'; readonly mode: 'trial' | 'force' };

/** What to publish for a local state, or undefined when the state is not one the fleet shares. */
export function publication(
  state: CircuitState,
  opening: Opening | undefined,
  openings: number,
  mode: ChangeMode,
): Publication | undefined {
  if ((state === 'open' || state === 'half-open') && opening !== undefined) {
    // Backends keep whole milliseconds (Redis refuses a fractional expiry).
    const openPeriod = Math.ceil(opening.openPeriod);
    const elapsed = Math.max(0, Math.min(Math.floor(opening.elapsed), openPeriod));
    return { op: 'open', openPeriod, elapsed, openings };
  }
  if (state === 'closed') return { op: 'close', mode: mode === 'force' ? 'force' : 'trial' };
  return undefined;
}

/**
 * The rule a change of state made here is published under, or undefined when it is not
 * published: a trial's verdict (from half-open) under `'trial'`, a trip under `'trip'`. Moving
 * to half-open says nothing the record does not (its open period is over everywhere), and
 * isolated and disabled belong to this process.
 */
export function changeRule(from: CircuitState, to: CircuitState): ChangeMode | undefined {
  if (!sharedState(from) || !sharedState(to) || to === 'half-open') return undefined;
  return from === 'half-open' ? 'trial' : 'trip';
}

/** The states the fleet shares; isolated and disabled belong to one process. */
export const sharedState = (state: CircuitState): boolean => state === 'closed' || state === 'open' || state === 'half-open';
