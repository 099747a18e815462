/**
 * What the store knows of one attached breaker, as unions of states, and the pure functions from
 * one state to the next. The store's wiring (`shared-store.ts`) holds these per breaker and
 * carries out what they return: no promises, clocks or breakers here.
 */
import type { Decision } from './record-rules.js';
import type { ChangeAnswer, ChangeMode, RequestStamp } from './shared-record.js';

/** The latest change of state this process made, and whether the store has taken it. */
export type LocalChange =
  /** None made yet. */
  | { readonly state: 'none' }
  /**
   * Change `number` (they are numbered as made) waits to be taken by the store: it is sent again
   * until it is, under `mode`'s rule, and the breaker runs no trial meanwhile.
   */
  | { readonly state: 'pending'; readonly number: number; readonly mode: ChangeMode }
  /** Change `number` was taken by the store, or given up for what the store holds. */
  | { readonly state: 'settled'; readonly number: number; readonly mode: ChangeMode };

export const NO_CHANGE: LocalChange = { state: 'none' };

/** A new local change, to be published under `mode`. */
export function changeMade(change: LocalChange, mode: ChangeMode): LocalChange {
  return { state: 'pending', number: numberOf(change) + 1, mode };
}

/** Whether a change was made after change `sent`: an answer to `sent` is then not the last word. */
export function newerThan(change: LocalChange, sent: number): boolean {
  return numberOf(change) !== sent;
}

const numberOf = (change: LocalChange): number => (change.state === 'none' ? 0 : change.number);

const settle = (change: LocalChange): LocalChange => (change.state === 'pending' ? { ...change, state: 'settled' } : change);

/** This breaker's view of the backend's clock, learnt from its answers. */
export type BackendClock =
  /** No answer yet: a change could not be stamped, so none is sent. */
  | { readonly state: 'unanswered' }
  /** Answered: `offset` is the backend's clock minus the breaker's, when an answer carried it. */
  | { readonly state: 'answered'; readonly offset: number | undefined };

export const UNANSWERED: BackendClock = { state: 'unanswered' };

/**
 * This breaker's outage as it was told: one `storeDown`, for the store or for its record, and
 * one `storeUp` once both are back. An outage seen from two sides is still one outage. Kept per
 * breaker, so that a part of the store lost alone (one record, a cluster's slot) is that breaker's.
 */
export type Health =
  | { readonly state: 'usable' }
  /**
   * Told `storeDown` at `since` (the breaker's clock). `recordProblem`: why its record cannot be
   * used, while it cannot; the store as a whole may be away too.
   */
  | { readonly state: 'outage'; readonly since: number; readonly recordProblem: string | undefined };

export const USABLE: Health = { state: 'usable' };

/** A new health, and what the breaker is to be told of the move. */
export type HealthChange =
  | { readonly health: Health; readonly tell: 'nothing' }
  | { readonly health: Health; readonly tell: 'storeDown' }
  | { readonly health: Health; readonly tell: 'storeUp'; readonly downFor: number };

/** The store went away (or a breaker joined while it was): an outage begins unless one is on. */
export function storeWentAway(health: Health, now: number): HealthChange {
  if (health.state === 'outage') return { health, tell: 'nothing' };
  return { health: { state: 'outage', since: now, recordProblem: undefined }, tell: 'storeDown' };
}

/** The store answers again: the outage ends, unless this breaker's record still cannot be used. */
export function storeCameBack(health: Health, now: number): HealthChange {
  if (health.state === 'usable') return { health, tell: 'nothing' };
  if (health.recordProblem !== undefined) return { health, tell: 'nothing' };
  return outageOver(health.since, now);
}

/** The record cannot be used, for `problem`: said once, until it can be used again. */
export function recordUnusable(health: Health, problem: string, now: number): HealthChange {
  if (health.state === 'usable') return { health: { state: 'outage', since: now, recordProblem: problem }, tell: 'storeDown' };
  if (health.recordProblem !== undefined) return { health, tell: 'nothing' };
  return { health: { ...health, recordProblem: problem }, tell: 'nothing' };
}

/** The record can be used again: the outage ends, unless the store is still away. */
export function recordUsable(health: Health, storeAway: boolean, now: number): HealthChange {
  if (health.state === 'usable' || health.recordProblem === undefined) return { health, tell: 'nothing' };
  if (storeAway) return { health: { ...health, recordProblem: undefined }, tell: 'nothing' };
  return outageOver(health.since, now);
}

// A clock that stepped back during the outage would make the time away negative.
const outageOver = (since: number, now: number): HealthChange => ({ health: USABLE, tell: 'storeUp', downFor: Math.max(0, now - since) });

/** Whether this breaker's record cannot be used now. */
export const recordProblem = (health: Health): boolean => health.state === 'outage' && health.recordProblem !== undefined;

/**
 * Whether the breaker decides alone, as one without a store would: while the store is away as
 * announced (not merely between two answers: a store that answers reads but refuses writes
 * leaves its breakers deciding alone, as they were told), once the store is closed, and while
 * its record cannot be used.
 */
export function decidesLocally(health: Health, store: { readonly outage: boolean; readonly closed: boolean }): boolean {
  return store.outage || store.closed || recordProblem(health);
}

/** The clock after an answer came in time: answered, its offset kept until an answer carries a time. */
export function afterTimelyAnswer(clock: BackendClock): BackendClock {
  return clock.state === 'answered' ? clock : { state: 'answered', offset: undefined };
}

/**
 * The clock after an answer carrying the backend's time `at`: the request went out at `sentAt`
 * and the answer came at `now`, so `at` is taken as of halfway between.
 */
export function offsetFrom(clock: BackendClock, at: number | undefined, sentAt: number, now: number): BackendClock {
  if (at === undefined) return clock;
  return { state: 'answered', offset: at - (sentAt + now) / 2 };
}

/** When this process decides, in the backend's time as last seen; the backend refuses it if it arrives late. */
export function stamp(clock: BackendClock, now: number, timeout: number): RequestStamp {
  const offset = clock.state === 'answered' ? clock.offset : undefined;
  return { decidedAt: offset === undefined ? 0 : Math.round(now + offset), maxAge: Math.ceil(timeout) };
}

/**
 * Whether the pending change may go out now. Not before the backend first answered: unstamped, a
 * change held by the client through an outage (ioredis lazyConnect, an offline queue) would be
 * applied as new when it lands, and the time the outage took would be lost. The answer that
 * comes first sends it, stamped. Not while the record cannot be used: it is never written over.
 */
export function maySend(change: LocalChange, clock: BackendClock, health: Health): change is Extract<LocalChange, { state: 'pending' }> {
  if (change.state !== 'pending') return false;
  if (clock.state === 'unanswered') return false;
  if (recordProblem(health)) return false;
  return true;
}

/**
 * Whether this breaker has a change that will be sent once its state is one the fleet shares
 * (the caller asks the breaker last: reading its state can move it from open to half-open). A
 * change the store refuses keeps the outage on, however well reads are answered; one that will
 * not be sent (its record unusable, its breaker isolated or disabled since) holds nothing up.
 */
export function changeToSend(change: LocalChange, health: Health): boolean {
  return change.state === 'pending' && !recordProblem(health);
}

/**
 * Whether the store did not take a change it answered: refused as late (this process's stamp
 * was old: its clock stepped back, or the request took long to arrive), or a close that found no
 * record (the store lost it: a restart, an expiry). Either is a change the store missed.
 */
export function changeMissed(answer: ChangeAnswer | undefined, op: 'open' | 'close'): boolean {
  return answer?.late === true || (op === 'close' && answer?.state === 'none');
}

/** The latest change once change `sent` is answered: settled when that was it, and the store took it. */
export function afterChangeAnswered(change: LocalChange, sent: number, missed: boolean): LocalChange {
  if (newerThan(change, sent) || missed) return change;
  return settle(change);
}

/** How the record in a change's answer is taken in. */
export type AnswerRule =
  /** Missed twice in a row: the next sync sends it, so a backend that refuses everything is asked once per sync, not in a loop. */
  | 'wait-for-sync'
  /** Taken, but a newer change was made since: only the record's generation is taken in (`superseded`). */
  | 'superseded'
  /** Missed: sent again unless the record moved on (`reconcileUnconfirmed`). */
  | 'unconfirmed'
  /** Taken: the record is taken in as any other (`reconcile`). */
  | 'reconcile';

export function answerRule(answer: { readonly missed: boolean; readonly missedBefore: boolean; readonly newerChangeSince: boolean }): AnswerRule {
  if (answer.missed && answer.missedBefore) return 'wait-for-sync';
  if (answer.missed) return 'unconfirmed';
  if (answer.newerChangeSince) return 'superseded';
  return 'reconcile';
}

/** The latest change after an unconfirmed one met a record: settled, unless the decision sends it again. */
export function afterUnconfirmed(change: LocalChange, decision: Decision): LocalChange {
  return decision.kind === 'publish' ? change : settle(change);
}

/** What a trial gate does when a call asks to be a trial. */
export type TrialStep =
  /** Run it: the breaker decides alone, or this process holds the lease. */
  | 'run'
  /**
   * Refuse it, and send the pending change first: a lease asked for meanwhile would be granted
   * under the open a failed trial already failed, and a second trial would run in one open
   * period. Found by the fleet simulation, seed 548.
   */
  | 'send-change-first'
  /** Refuse it, and ask the fleet for the lease. */
  | 'ask-for-lease'
  /** Refuse it: the lease was refused, or its answer is on the way. */
  | 'refuse';

export function trialStep(gate: {
  readonly decidesLocally: boolean;
  readonly holdsLease: boolean;
  readonly change: LocalChange;
  readonly mayAskForLease: boolean;
}): TrialStep {
  if (gate.decidesLocally) return 'run';
  if (gate.holdsLease) return 'run';
  if (gate.change.state === 'pending') return 'send-change-first';
  if (gate.mayAskForLease) return 'ask-for-lease';
  return 'refuse';
}
