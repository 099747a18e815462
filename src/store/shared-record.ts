import type { WindowRule } from '../breaker/attached-breaker.js';

/**
 * What a shared backend keeps per breaker name, as it reports it. Durations are in milliseconds
 * of the backend's own clock: only durations cross between processes, never instants, so no
 * process's clock can stretch or cut an open period.
 */
export interface SharedRecord {
  /**
   * `'none'` when the backend has no record: never written, expired, or lost. `'foreign'` when
   * what it holds under the name is not a record this version can use (another program's key, a
   * damaged record, or a later format version): the breaker then decides alone, and the backend
   * never writes over it.
   */
  readonly state: 'none' | 'closed' | 'open' | 'foreign';
  /**
   * Grows with every change the backend accepts. A record made afresh (after one expired or was
   * lost) starts from the backend's clock, so a generation once seen never comes back.
   */
  readonly generation: number;
  /** While open: milliseconds since the circuit opened. */
  readonly elapsed: number;
  /** While open: how long the open period lasts, in milliseconds. */
  readonly openPeriod: number;
  /** Openings in a row, for backoff; 0 while closed. */
  readonly openings: number;
  /**
   * The backend's clock when it answered, in milliseconds. A process uses it only to say, in the
   * backend's own time, when a later request was decided ({@link RequestStamp}). Optional: a
   * backend without it gets requests it cannot age.
   */
  readonly at?: number;
  /** With `state: 'foreign'`: what is wrong with the record, for the report. */
  readonly problem?: string;
}

/**
 * When a request was decided, so that a backend can refuse one delivered late (a client that
 * queued it through an outage, a network that replayed it): the process gave up on it after
 * `maxAge` ms and will send what is true by then instead.
 */
export interface RequestStamp {
  /** When the process decided, on the backend's clock as last seen from this process; 0 when unknown. */
  readonly decidedAt: number;
  /** Milliseconds after `decidedAt` past which the request must change nothing. */
  readonly maxAge: number;
}

/**
 * A backend's answer to an open or a close: the record after the request, and whether the
 * request was refused because it arrived older than its `maxAge`. A plain {@link SharedRecord}
 * is a valid answer (a backend that never refuses as late, or predates `late`): it is taken as
 * "the rule of the request's mode was applied".
 */
export interface ChangeAnswer extends SharedRecord {
  /**
   * True when the request changed nothing because it arrived later than `decidedAt + maxAge` on
   * the backend's clock. The process then sends the change again, stamped anew from this
   * answer's `at`, if the record has not moved on since the generation it was made against.
   * Without it, a refusal looks like a change the rules kept out and the change is lost (a
   * process whose clock stepped back stamps every change as old).
   */
  readonly late?: boolean;
}

/** A backend's answer to a request for the fleet's trial lease. */
export interface TrialAnswer {
  /** True when this owner holds the lease now. */
  readonly granted: boolean;
  /** When refused: milliseconds until asking again could succeed. */
  readonly wait: number;
  /** The record after the request. */
  readonly record: SharedRecord;
}

/** Why a process publishes an open or a close. */
export type ChangeMode =
  /** Counted failures tripped a closed circuit here: kept only if the fleet is not open already. */
  | 'trip'
  /** A trial call decided: kept only if nobody changed the record since `generation`. */
  | 'trial'
  /** Set by hand (`breaker.open()`, `close()`, `reset()`): always kept. */
  | 'force';

/** A request to record an open period. */
export interface OpenRequest extends RequestStamp {
  /**
   * Why this process opened the circuit, which decides whether the change is kept: `'trip'` only
   * if the fleet is not open already, `'trial'` only if the record is unchanged since
   * `generation`, `'force'` always.
   */
  readonly mode: ChangeMode;
  /** The generation the process last saw. */
  readonly generation: number;
  /** Length of the open period, in whole milliseconds. */
  readonly openPeriod: number;
  /** Whole milliseconds of it already passed at `decidedAt` (non-zero when a process re-publishes an open period). */
  readonly elapsed: number;
  /** Openings in a row as this process counts them. */
  readonly openings: number;
}

/** A request to record a close. */
export interface CloseRequest extends RequestStamp {
  /**
   * Why this process closed the circuit, which decides whether the change is kept: `'trial'` only
   * if the record is unchanged since `generation`, `'force'` always.
   */
  readonly mode: Exclude<ChangeMode, 'trip'>;
  /** The generation the process last saw. */
  readonly generation: number;
}

/**
 * The atomic operations a database must offer to share circuits between processes. Each one is
 * a single atomic step in the database (a Lua script in Redis), timed by the database's clock.
 * `circuitry/redis` implements it for Redis; implement it to share state through another store.
 * Every change request carries a {@link RequestStamp}: one that arrives older than its `maxAge`
 * must change nothing, and its answer must say so (`late: true`, see {@link ChangeAnswer}), or
 * the process takes the refusal for a change it need not send again.
 */
export interface SharedStateBackend {
  /** The record of `name`. */
  read(name: string): Promise<SharedRecord>;
  /**
   * Records an open period, under the rule of its `mode`; resolves with the record after it,
   * with `late: true` if the request arrived too old and changed nothing.
   */
  open(name: string, request: OpenRequest): Promise<ChangeAnswer>;
  /**
   * Records a close, under the rule of its `mode`; resolves with the record after it, with
   * `late: true` if the request arrived too old and changed nothing.
   */
  close(name: string, request: CloseRequest): Promise<ChangeAnswer>;
  /**
   * Asks for the trial lease of `name` for `lease` ms: granted when the open period is over and
   * nobody else holds an unexpired lease. With no record at all, one is made, open and over.
   */
  trial(name: string, owner: string, lease: number, stamp: RequestStamp): Promise<TrialAnswer>;
  /**
   * Optional: the records of `names`, in order, in one request, so that the store's resync of
   * many breakers is one round trip and costs the backend little. Without it, each is read alone.
   */
  readMany?(names: readonly string[]): Promise<SharedRecord[]>;
  /**
   * Optional: hints pushed as changes are accepted, so that other processes take them in at
   * once instead of at their next read. Without it, the store polls every `syncInterval`.
   */
  push?: SharedStatePush | undefined;
  /**
   * Optional: which part of the backend holds `name`'s record, when parts fail apart (a Redis
   * Cluster's slots). A part that fails sends away only the breakers whose records it holds;
   * without it, one failure sends away every breaker of the store.
   */
  partitionOf?(name: string): string;
  /**
   * Optional: the fleet's window, for a store made with `judge: 'fleet'` (which refuses a backend
   * without it). Without it, the store judges in each process, as always.
   */
  counting?: SharedStateCounting | undefined;
}

/**
 * A backend's counting capability, version 1: each process sends the outcomes its breakers
 * counted since its last flush, and the backend judges the window of the fleet's calls.
 */
export interface SharedStateCounting {
  /** The capability's version; a store refuses `judge: 'fleet'` over a version it does not know. */
  readonly version: 1;
  /**
   * In one atomic step: adds each batch's counts into the fleet window of its breaker, judges the
   * window by the batch's {@link WindowRule}, and when it trips, opens the record as a `'trip'`
   * open would (kept only if the record is not open already, the generation raised, the change
   * announced), exactly once, and clears the window. A window belongs to one closed period: counts
   * made under an older generation than the window's are dropped, and a newer one starts the
   * window afresh. A request older than its `maxAge` on arrival, or one whose `owner` and `flush`
   * were counted already (a replay), counts nothing (`late` or `repeated`).
   */
  count(batches: readonly CountBatch[], stamp: CountStamp): Promise<CountAnswer>;
}

/** One breaker's outcomes since the last flush, and how its window is judged. */
export interface CountBatch {
  /** The breaker's name. */
  readonly name: string;
  /** The generation of the record this process last took in: the closed period the counts belong to. */
  readonly generation: number;
  /** Outcomes counted (successes and failures). */
  readonly calls: number;
  /** Counted failures among them. */
  readonly failures: number;
  /** Slow calls among them. */
  readonly slowCalls: number;
  /** The breaker's window and the rates at which it trips. */
  readonly window: WindowRule;
  /** The open period a trip starts, in whole milliseconds. */
  readonly openPeriod: number;
  /** Openings in a row the trip makes. */
  readonly openings: number;
}

/** Who sends a flush, its number, and when it was decided: a replay or a late delivery counts nothing. */
export interface CountStamp extends RequestStamp {
  /** This store's owner id. */
  readonly owner: string;
  /** Grows with every flush this store sends. */
  readonly flush: number;
}

/** A backend's answer to a flush. */
export interface CountAnswer {
  /** The flush arrived later than `decidedAt + maxAge`: nothing was counted. */
  readonly late?: boolean;
  /** This `owner` and `flush` were counted before: nothing was counted again. */
  readonly repeated?: boolean;
  /**
   * Per batch, in order: the record, for a breaker whose window tripped (opened now, or already
   * open) or belonged to another generation than the record's; undefined when only counted.
   */
  readonly records: readonly (SharedRecord | undefined)[];
}

/**
 * A backend's push capability, version 1. A hint says only "read this record": the store reads
 * it before taking anything in, so a lost, repeated or forged hint changes no state. The store
 * checks the subscription itself, with canaries it sends through the backend to this subscriber,
 * and polls while they do not come back.
 */
export interface SharedStatePush {
  /** The capability's version; a store ignores a version it does not know and polls. */
  readonly version: 1;
  /**
   * Subscribes to this backend's hints and to this subscriber's own canaries; resolves once
   * subscribed, rejects if it cannot. Messages from then on go to `listener`.
   */
  subscribe(listener: PushListener): Promise<void>;
  /** Sends `token` through the backend to this subscriber's {@link PushListener.canary}. */
  canary(token: string): Promise<void>;
  /** Ends the subscription (and a connection the backend made for it); `subscribe` may follow. */
  unsubscribe(): void;
}

/** Where a subscription delivers its messages. */
export interface PushListener {
  /**
   * The record of `name` changed, to `generation` when the hint says (a store that already took
   * that generation in reads nothing).
   */
  hint(name: string, generation: number | undefined): void;
  /** A canary this subscriber sent came back. */
  canary(token: string): void;
  /**
   * The subscription's connection dropped or is reconnecting: hints may have been lost. The store
   * reads every record at once, polls, and subscribes anew.
   */
  dropped(): void;
}
