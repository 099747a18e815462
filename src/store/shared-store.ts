/**
 * The shared store's wiring: per attached breaker, it holds the states of `entry-state.ts`, asks
 * the pure rules (`record-rules.ts`, `entry-state.ts`, `trial-lease.ts`) what to do, and carries
 * it out through the transport and the breaker. No decision is made here.
 */
import { checkDuration, invalid, optionsObject } from '../check/check.js';
import type { AttachedBreaker, CircuitState, OutcomeCounter, TrialGate } from '../breaker/attached-breaker.js';
import { attachBreaker } from '../breaker/store-side.js';
import type { CircuitStore, StoreLink } from '../breaker/store-link.js';
import { registerSide, registerStore } from '../breaker/store-link.js';
import type { BackendClock, Health, HealthChange, LocalChange } from './entry-state.js';
import * as rules from './entry-state.js';
import type { Decision, LocalView, UsableRecord } from './record-rules.js';
import { changeRule, checkRecord, overtaken, publication, reconcile, reconcileUnconfirmed, sharedState, superseded } from './record-rules.js';
import type { ChangeAnswer, ChangeMode, SharedRecord, SharedStateBackend } from './shared-record.js';
import type { Lane, Outcome, Timers } from './transport.js';
import { createTransport, freeLane } from './transport.js';
import * as lease from './trial-lease.js';
import type { PushWatch } from './push.js';
import type { Tally } from './fleet-count.js';
import { addOutcome, batchOf, clearTally, COUNT_CHUNK, emptyTally, fleetWindowOf, judgeOf, sendsCounts } from './fleet-count.js';
import { watchPush } from './push.js';

/** Options of {@link sharedStore} (and of `redisStore`). */
export interface SharedStoreOptions {
  /**
   * Milliseconds between two reads of the shared state of every attached breaker, in one batch.
   * It bounds how late this process sees an open or a close decided by another: at most
   * `syncInterval` plus one round trip. Default 500; at most 2,147,483,647 (Node's timer limit).
   */
  syncInterval?: number | undefined;
  /**
   * Milliseconds a store operation may take; past it the operation counts as failed, the store as
   * away, and the process decides alone until the store answers again. A request given up on is
   * refused by the store if it arrives later still. Default 200; at most 2,147,483,647.
   */
  timeout?: number | undefined;
  /** Who this process is when it holds the trial lease. Default: a random id per store. */
  owner?: string | undefined;
  /**
   * With a backend that pushes changes (`redisStore` does), while its subscription is trusted:
   * milliseconds between two reads of every attached breaker's record, to catch what a lost
   * message missed. Each wait is jittered between this and half as long again, so that a fleet
   * does not resync together. While the subscription is not trusted the store reads every
   * `syncInterval` instead. Default 10,000; at most 2,147,483,647.
   */
  resyncInterval?: number | undefined;
  /**
   * Who opens a circuit. `'process'` (the default): any process whose own window trips opens it
   * for the whole fleet. `'fleet'`: each process sends what its breakers counted, every
   * `countInterval`, and the circuit opens for all once the window of the fleet's calls trips; a
   * process's own window opens nothing while the store is usable (it judges alone again during an
   * outage). Only for breakers with a window policy (`countWindow`, `timeWindow`): attaching one
   * that counts consecutive failures throws a TypeError. Needs a backend with the counting
   * capability (`redisStore` has it).
   */
  judge?: 'process' | 'fleet' | undefined;
  /**
   * With `judge: 'fleet'`: milliseconds between two flushes of what this process counted. One
   * request carries every breaker that counted something (none for a breaker that did not), so
   * the fleet opens within about `countInterval` plus one propagation of the open. Default 1,000;
   * at most 2,147,483,647.
   */
  countInterval?: number | undefined;
}

/** Milliseconds (or `syncInterval`, if shorter) within which a breaker read on a hint is not read on a hint again. */
const HINT_SPACING = 250;

const OPTION_KEYS = new Set(['syncInterval', 'timeout', 'owner', 'resyncInterval', 'judge', 'countInterval']);

/** What a breaker is told its outage began with. */
interface Cause {
  readonly error: unknown;
  readonly operation: string;
}

/** One attached breaker, as the store sees it. */
interface Entry extends StoreLink, TrialGate, OutcomeCounter {
  /** Weak, so that a breaker nobody uses any more can be collected while attached. */
  readonly breaker: WeakRef<AttachedBreaker>;
  readonly name: string;
  /** Who holds the lease: one per breaker, so two breakers of a name in one process never both probe. */
  readonly owner: string;
  readonly lane: Lane;
  lease: lease.Lease;
  /** The generation of the shared record this process last took in. */
  generation: number;
  /** Answers whose record was usable, counted: an answer that another overtook may be history (`overtaken`). */
  answers: number;
  change: LocalChange;
  /** Whether the store missed the last change it answered (see `changeMissed`). */
  lastChangeMissed: boolean;
  /** Set while a state decided elsewhere is applied, so that it is not published back. */
  adopting: boolean;
  /** A hint made this breaker read less than the hint spacing ago: further hints wait for its end. */
  hintRead: boolean;
  /** A hint came while `hintRead`, or while a write was on its way: read at the end of the spacing. */
  hintDeferred: boolean;
  /** The highest generation a hint named since this breaker was last read on one (0: unknown). */
  hintedGeneration: number;
  clock: BackendClock;
  health: Health;
  /** With `judge: 'fleet'`: what it counted since its last flush. */
  readonly tally: Tally;
}

/**
 * {@link sharedStore} on the given timers (the fleet simulation runs it on virtual time).
 * @throws TypeError or RangeError naming the option when an option is invalid.
 */
export function sharedStoreOn(backend: SharedStateBackend, options: SharedStoreOptions, timers: Timers): CircuitStore {
  optionsObject(options, 'store', OPTION_KEYS);
  for (const method of ['read', 'open', 'close', 'trial'] as const) {
    if (typeof (backend as Partial<SharedStateBackend> | null)?.[method] !== 'function') {
      invalid(TypeError, 'backend', 'an object with read, open, close and trial methods', backend);
    }
  }
  const syncInterval = options.syncInterval === undefined ? 500 : checkDuration(options.syncInterval, 'syncInterval', { timer: true });
  const timeout = options.timeout === undefined ? 200 : checkDuration(options.timeout, 'timeout', { timer: true });
  const owner = options.owner ?? randomOwner();
  if (typeof owner !== 'string' || owner === '') invalid(TypeError, 'owner', 'a non-empty string', owner);
  const resyncInterval = options.resyncInterval === undefined ? 10_000 : checkDuration(options.resyncInterval, 'resyncInterval', { timer: true });
  const random = timers.random ?? Math.random;
  const readMany = typeof backend.readMany === 'function' ? backend.readMany.bind(backend) : undefined;
  const push = backend.push?.version === 1 ? backend.push : undefined;
  const partitionOf = typeof backend.partitionOf === 'function' ? backend.partitionOf.bind(backend) : undefined;
  const { counting } = judgeOf(options.judge, backend);
  const countInterval = options.countInterval === undefined ? 1000 : checkDuration(options.countInterval, 'countInterval', { timer: true });

  const entries = new Set<Entry>();
  /** The attached entries by name, for hints. */
  const named = new Map<string, Set<Entry>>();
  /** Breakers a hint asked to read, waiting for the flush a moment later (one batch for them all). */
  const hinted = new Set<Entry>();
  /** A flush of the hinted breakers is queued (a microtask: hints that arrive together are read together). */
  let flushQueued = false;
  /** Ends the current hint spacing; undefined while no breaker was read on a hint within one. */
  let spacingTimer: unknown;
  const hintSpacing = Math.min(syncInterval, HINT_SPACING);
  let pushWatch: PushWatch | undefined;
  /** The read of every record after push was lost or the store came back, waiting for its jittered moment. */
  let lostRead: unknown;
  /** Ticks (of `syncInterval`) until the next resync, while the subscription is trusted. */
  let ticksToResync = 0;
  const resyncTicks = (): number => Math.max(1, Math.ceil((resyncInterval * (1 + 0.5 * random())) / syncInterval));
  let attached = 0;
  let timer: unknown;
  let countTimer: unknown;
  /** Numbers this store's flushes, so that a replayed one counts nothing. */
  let flushes = 0;
  let closed = false;

  /** The attached breakers still alive, with their entries; the collected ones are dropped. */
  const live = (): [Entry, AttachedBreaker][] => {
    const pairs: [Entry, AttachedBreaker][] = [];
    for (const entry of entries) {
      const breaker = entry.breaker.deref();
      if (breaker === undefined) forget(entry);
      else pairs.push([entry, breaker]);
    }
    return pairs;
  };

  const forget = (entry: Entry): void => {
    entries.delete(entry);
    hinted.delete(entry);
    const same = named.get(entry.name);
    same?.delete(entry);
    if (same?.size === 0) named.delete(entry.name);
  };

  /** Reads every record within half a sync, at a jittered moment (one such read pending at a time). */
  const readSoon = (): void => {
    if (closed) return;
    lostRead ??= timers.setTimeout(() => {
      lostRead = undefined;
      void readAll();
    }, Math.floor((random() * syncInterval) / 2));
  };

  /**
   * Moves a breaker's health, telling it what the move means; a move into an outage is given its
   * `cause`. Closed, the store tells nothing.
   */
  const moveHealth = (entry: Entry, breaker: AttachedBreaker, move: (health: Health, now: number) => HealthChange, cause: Cause | undefined): void => {
    if (closed) return;
    const moved = move(entry.health, breaker.now());
    entry.health = moved.health;
    if (moved.tell === 'storeDown' && cause !== undefined) breaker.storeDown(cause.error, cause.operation);
    else if (moved.tell === 'storeUp') breaker.storeUp(moved.downFor);
  };

  const transport = createTransport(timeout, timers, {
    // Said once per outage, not once per failed request: an outage of minutes must not flood the log.
    // Told to the breakers whose records are in the part that went away (all of them, for a
    // backend of one part): a cluster's master lost sends away only the breakers it served.
    down(outage, part) {
      // Closed, the store shares nothing: an answer still on its way tells no breaker anything.
      if (closed) return;
      for (const [entry, breaker] of live()) if (entry.lane.part === part) moveHealth(entry, breaker, rules.storeWentAway, outage);
    },
    up(part) {
      if (closed) return;
      for (const [entry, breaker] of live()) if (entry.lane.part === part) moveHealth(entry, breaker, rules.storeCameBack, undefined);
      // What changed while away goes out now, not an interval later. (Not jittered: each process
      // probes on its own sync cycle, so the fleet's returns are spread by their phases already.)
      void readAll();
    },
  });

  /** Whether the part of the store that holds `entry`'s record is away. */
  const storeOutage = (entry: Entry): boolean => transport.outage(entry.lane.part) !== undefined;
  const decidesLocally = (entry: Entry): boolean => rules.decidesLocally(entry.health, { outage: storeOutage(entry), closed });
  const localView = (entry: Entry, breaker: AttachedBreaker): LocalView => ({
    state: breaker.state(),
    generation: entry.generation,
    leaseGeneration: entry.lease.generation,
  });

  /**
   * The record as this process may use it; undefined when it cannot. A record that cannot be
   * used makes this breaker decide alone, reported once until the record is usable again.
   */
  const usable = (entry: Entry, breaker: AttachedBreaker, record: SharedRecord, sentAt: number): UsableRecord | undefined => {
    if (closed) return undefined;
    entry.clock = rules.afterTimelyAnswer(entry.clock);
    const checked = checkRecord(record);
    if (typeof checked === 'string') {
      const problem = new Error(`circuitry: the shared record of "${entry.name}" cannot be used, so this process decides alone: ${checked}`);
      moveHealth(entry, breaker, (health, now) => rules.recordUnusable(health, checked, now), { error: problem, operation: 'record' });
      return undefined;
    }
    moveHealth(entry, breaker, (health, now) => rules.recordUsable(health, storeOutage(entry), now), undefined);
    entry.clock = rules.offsetFrom(entry.clock, checked.at, sentAt, breaker.now());
    entry.answers += 1;
    return checked;
  };

  const applyDecision = (entry: Entry, breaker: AttachedBreaker, decision: Decision): void => {
    if (decision.kind === 'keep') return;
    if (decision.kind === 'publish') return publish(entry, breaker, decision.mode);
    if (decision.renewed) entry.lease = lease.end(entry.lease);
    const record = decision.record;
    entry.generation = record.generation;
    if (decision.adopt === 'nothing') return;
    entry.adopting = true;
    try {
      if (decision.adopt === 'close') breaker.adoptClose();
      else breaker.adoptOpen(record.elapsed, record.openPeriod, record.openings);
    } finally {
      entry.adopting = false;
    }
  };

  const takeIn = (entry: Entry, breaker: AttachedBreaker, record: UsableRecord): void => {
    applyDecision(entry, breaker, reconcile(record, localView(entry, breaker)));
  };

  /** Takes in a record while a change is unconfirmed, made under `mode`. */
  const takeInUnconfirmed = (entry: Entry, breaker: AttachedBreaker, record: UsableRecord, mode: ChangeMode): void => {
    const decision = reconcileUnconfirmed(record, localView(entry, breaker), mode);
    entry.change = rules.afterUnconfirmed(entry.change, decision);
    applyDecision(entry, breaker, decision);
  };

  /** Marks the state this process is in now as to be published under `mode`, and sends it if it can. */
  const publish = (entry: Entry, breaker: AttachedBreaker, mode: ChangeMode): void => {
    entry.change = rules.changeMade(entry.change, mode);
    entry.lease = lease.end(entry.lease);
    send(entry, breaker);
  };

  /**
   * Sends the pending change, if it may go. Not sent (one on its way, the store away), it goes
   * when that one settles, or at the next sync.
   */
  const send = (entry: Entry, breaker: AttachedBreaker): void => {
    const pending = entry.change;
    if (closed || !rules.maySend(pending, entry.clock, entry.health)) return;
    const change = publication(breaker.state(), breaker.opening(), breaker.openings(), pending.mode);
    if (change === undefined) return;
    const generation = entry.generation;
    const sentAt = breaker.now();
    const stamp = rules.stamp(entry.clock, breaker.now(), timeout);
    const call =
      change.op === 'open'
        ? () => backend.open(entry.name, { mode: pending.mode, generation, openPeriod: change.openPeriod, elapsed: change.elapsed, openings: change.openings, ...stamp })
        : () => backend.close(entry.name, { mode: change.mode, generation, ...stamp });
    const sent = transport.send(entry.lane, 'write', change.op, call);
    void sent?.then((outcome) => {
      const self = entry.breaker.deref();
      if (!outcome.ok || self === undefined) return;
      // Refused as late, or a close that found no record, the change stays pending and goes again
      // under the rules of a change the store missed, stamped anew from this answer's clock
      // (`usable` renews the offset). Taken as an answer like any other, the change would be lost.
      const missed = rules.changeMissed(outcome.value as ChangeAnswer | undefined, change.op);
      const missedBefore = entry.lastChangeMissed;
      entry.lastChangeMissed = missed;
      entry.change = rules.afterChangeAnswered(entry.change, pending.number, missed);
      const record = usable(entry, self, outcome.value, sentAt);
      if (record === undefined) return;
      const rule = rules.answerRule({ missed, missedBefore, newerChangeSince: rules.newerThan(entry.change, pending.number) });
      if (rule === 'wait-for-sync') return;
      const latest = entry.change;
      if (rule === 'superseded') applyDecision(entry, self, superseded(record, change.op, localView(entry, self)));
      else if (rule === 'unconfirmed') takeInUnconfirmed(entry, self, record, latest.state === 'none' ? pending.mode : latest.mode);
      else takeIn(entry, self, record);
      if (entry.change.state === 'pending') send(entry, self);
    });
  };

  const askForLease = (entry: Entry, breaker: AttachedBreaker): void => {
    const opening = breaker.opening();
    if (breaker.state() !== 'half-open' || opening === undefined || closed) return;
    const askedAt = breaker.now();
    const length = Math.ceil(opening.openPeriod);
    const stamp = rules.stamp(entry.clock, breaker.now(), timeout);
    const answersBefore = entry.answers;
    const sent = transport.send(entry.lane, 'lease', 'trial', () => backend.trial(entry.name, entry.owner, length, stamp));
    if (sent === undefined) return;
    const asking = sent.then((outcome) => {
      entry.lease = lease.answered(entry.lease);
      const self = entry.breaker.deref();
      if (!outcome.ok || self === undefined) return;
      const answer = outcome.value;
      const answeredMeanwhile = entry.answers !== answersBefore;
      const record = usable(entry, self, answer?.record, askedAt);
      if (record === undefined) return;
      // An answer overtaken by a newer record (a hint's read answered first) is about an open that
      // is over: a grant under it would run a trial of the past, a refusal would undo the newer record.
      const history = overtaken(record, localView(entry, self), answeredMeanwhile);
      if (answer.granted === true) {
        if (history) return;
        entry.lease = lease.granted(entry.lease, askedAt, length, record.generation);
        entry.generation = record.generation;
        return;
      }
      entry.lease = lease.refused(entry.lease, self.now(), answer.wait, syncInterval, length);
      if (entry.lane.write === 0 && !history) takeIn(entry, self, record);
    });
    entry.lease = lease.asked(entry.lease, asking);
  };

  type ReadSender = (lane: Lane, operation: string, call: () => Promise<SharedRecord>) => Promise<Outcome<SharedRecord>> | undefined;

  /** Takes in a record read for `entry`, sent at `sentAt` (the breaker's clock) when it had taken in `answersBefore` answers. */
  const tookRead = (entry: Entry, value: SharedRecord | undefined, sentAt: number, answersBefore: number): void => {
    const self = entry.breaker.deref();
    // A read that crosses a publish says nothing new: the publish's own answer will.
    if (self === undefined || entry.lane.write !== 0) return;
    const answeredMeanwhile = entry.answers !== answersBefore;
    const record = usable(entry, self, value as SharedRecord, sentAt);
    if (record === undefined || overtaken(record, localView(entry, self), answeredMeanwhile)) return;
    const latest = entry.change;
    if (latest.state === 'pending') takeInUnconfirmed(entry, self, record, latest.mode);
    else takeIn(entry, self, record);
  };

  const readWith = (entry: Entry, sendRead: ReadSender): Promise<void> => {
    const breaker = entry.breaker.deref();
    if (closed || breaker === undefined) return Promise.resolve();
    const sentAt = breaker.now();
    const answersBefore = entry.answers;
    const sent = sendRead(entry.lane, 'sync', () => backend.read(entry.name));
    if (sent === undefined) return Promise.resolve();
    return sent.then((outcome) => {
      if (outcome.ok) tookRead(entry, outcome.value, sentAt, answersBefore);
    });
  };
  /** Reads a breaker's record; one read at a time per breaker, so reads asked for together are one. */
  const read = (entry: Entry): Promise<void> => readWith(entry, (lane, operation, call) => transport.send(lane, 'read', operation, call));
  /** Reads it as {@link read} does, or, while the backend is unreachable, as the store's one probe. */
  const readOrProbe = (entry: Entry): Promise<void> => readWith(entry, transport.readOrProbe);

  /**
   * Reads the records of `batch`: in one request when the backend reads many at once, for every
   * breaker whose read slot is free; the others (a read lost, held by the probe) one by one.
   */
  const readBatch = async (batch: readonly Entry[]): Promise<void> => {
    if (readMany === undefined || batch.length < 2) {
      await Promise.all(batch.map(read));
      return;
    }
    const byPart = groupByPart(batch);
    if (byPart.size > 1) {
      await Promise.all([...byPart.values()].map(readBatch));
      return;
    }
    const sentAt = batch.map((entry) => entry.breaker.deref()?.now() ?? 0);
    const answersBefore = batch.map((entry) => entry.answers);
    const sent = transport.sendMany(
      batch.map((entry) => entry.lane),
      'sync',
      (covered) => readMany(covered.map((i) => batch[i]!.name)),
    );
    const covered = new Set(sent?.covered);
    const alone = batch.filter((_, i) => !covered.has(i)).map(read);
    if (sent !== undefined) {
      const outcome = await sent.outcome;
      if (outcome.ok && !closed) {
        const records = Array.isArray(outcome.value) ? outcome.value : [];
        sent.covered.forEach((i, k) => tookRead(batch[i]!, records[k], sentAt[i]!, answersBefore[i]!));
      }
    }
    await Promise.all(alone);
  };

  // Only entries are held across the wait, never a breaker: one its owner let go of is collected
  // at once, not after a probe that may hang for the whole `timeout`.
  const readAll = async (): Promise<void> => {
    const reads = [...groupByPart(live().map(([entry]) => entry))].map(([part, entries]) =>
      // Unreachable: one probe for the part, so a hang of any length queues nothing more.
      transport.reachable(part) ? readBatch(entries) : readOrProbe(entries[0]!),
    );
    await Promise.all(reads);
  };

  /** Reads what hints asked for, in one batch; a breaker read so is read on a hint again only after the spacing. */
  const flushHints = (): void => {
    flushQueued = false;
    // A hint whose generation was taken in meanwhile (by a write's answer) needs no read.
    const batch = [...hinted].filter((entry) => entry.hintedGeneration === 0 || entry.generation < entry.hintedGeneration);
    hinted.clear();
    if (closed || batch.length === 0) return;
    for (const entry of batch) if (entry.lane.read === 0) entry.hintedGeneration = 0;
    // A breaker whose read is on its way cannot be read again now, and that read may have left
    // before the change: it is read at the spacing's end instead, not dropped.
    const now = batch.filter((entry) => entry.lane.read === 0);
    for (const entry of batch) {
      if (entry.lane.read === 0) entry.hintRead = true;
      else entry.hintDeferred = true;
    }
    spacingTimer ??= timers.setTimeout(endSpacing, hintSpacing);
    void readBatch(now.filter((entry) => transport.reachable(entry.lane.part)));
  };

  /** The spacing is over: hints held back meanwhile are read now, in one batch. */
  const endSpacing = (): void => {
    spacingTimer = undefined;
    for (const entry of entries) {
      entry.hintRead = false;
      if (entry.hintDeferred) hinted.add(entry);
      entry.hintDeferred = false;
    }
    flushHints();
  };

  /**
   * A hint that `name`'s record changed. It is only a reason to read: a breaker that took in
   * that generation already reads nothing, and one a hint made read since the last tick waits
   * for the end of a spacing of 250 ms (`syncInterval`, if shorter). So however many hints come
   * (repeated, flapping, forged), a process reads each breaker on hints at most 4 times a second,
   * batched; a hint naming no attached breaker costs nothing.
   */
  const hint = (name: string, generation: number | undefined): void => {
    const same = named.get(name);
    if (same === undefined || closed) return;
    for (const entry of same) {
      if (generation !== undefined && entry.generation >= generation) continue;
      entry.hintedGeneration = generation === undefined ? 0 : Math.max(entry.hintedGeneration, generation);
      // A write on its way brings the record back with its answer (the hint may be of that very
      // write, published before the answer arrived): read only if the answer did not catch up.
      if (entry.hintRead || entry.lane.write !== 0) {
        entry.hintDeferred = true;
        spacingTimer ??= timers.setTimeout(endSpacing, hintSpacing);
      } else hinted.add(entry);
    }
    if (hinted.size > 0 && !flushQueued) {
      // Not a timer: under load a timer's turn can come many milliseconds late, and this is the
      // open on its way to the fleet. Hints delivered in one read from the socket still batch.
      flushQueued = true;
      queueMicrotask(flushHints);
    }
  };

  /**
   * Every `syncInterval`: polls every breaker, unless pushed hints are trusted; then only the
   * breakers that need it (a change not yet taken, a record or store away) are read, and all of
   * them once per jittered `resyncInterval`.
   */
  const tick = (): void => {
    const trusted = pushWatch?.trusted === true && !transport.anyOutage;
    if (!trusted || --ticksToResync <= 0) {
      if (trusted) ticksToResync = resyncTicks();
      void sync();
      return;
    }
    const unsettled = live()
      .map(([entry]) => entry)
      .filter((entry) => entry.change.state === 'pending' || entry.health.state !== 'usable');
    if (unsettled.length > 0) void readBatch(unsettled);
  };

  const sync = async (): Promise<void> => {
    // What was sent before lands first, so the reads see it.
    await transport.idle();
    // After a refused write, answered reads end the outage only if no change still waits to go.
    const awaitingWrite = live().some(([entry, breaker]) => rules.changeToSend(entry.change, entry.health) && sharedState(breaker.state()));
    if (!awaitingWrite) transport.confirm();
    await readAll();
  };

  /**
   * Every `countInterval` with `judge: 'fleet'`: sends what each breaker counted since its last
   * flush, one request per part of the backend (and per COUNT_CHUNK breakers); nothing for a
   * breaker that counted nothing. A flush that fails or is given up on is not sent again: its
   * counts are lost, so the fleet's window may count too few calls, never one twice.
   */
  const flushCounts = (): void => {
    if (closed) return;
    const toFlush: [Entry, AttachedBreaker][] = [];
    for (const pair of live()) {
      const [entry, breaker] = pair;
      // `configure` may have put a new policy in: its outcomes go through the counter too.
      breaker.countOutcomes(entry);
      const state = breaker.state();
      const source = { tally: entry.tally, state, shared: !decidesLocally(entry), clock: entry.clock, health: entry.health };
      if (sendsCounts(source) && breaker.window() !== undefined) toFlush.push(pair);
      // An open circuit's window is over, and calls counted before an outage would reach the
      // fleet's window late, as new: neither goes anywhere.
      else if (state !== 'closed' || !source.shared) clearTally(entry.tally);
    }
    const byPart = new Map<string, [Entry, AttachedBreaker][]>();
    for (const pair of toFlush) {
      const part = pair[0].lane.part;
      if (transport.reachable(part)) byPart.set(part, [...(byPart.get(part) ?? []), pair]);
    }
    for (const group of byPart.values()) {
      for (let i = 0; i < group.length; i += COUNT_CHUNK) void sendCounts(group.slice(i, i + COUNT_CHUNK));
    }
  };

  const sendCounts = async (batch: readonly [Entry, AttachedBreaker][]): Promise<void> => {
    const sentAt = batch.map(([, breaker]) => breaker.now());
    const answersBefore = batch.map(([entry]) => entry.answers);
    // On the breakers' read slots: a flush answers with the records it touched, as a read does,
    // and the bound on what is queued through a hang stays as it was.
    const sent = transport.sendMany(
      batch.map(([entry]) => entry.lane),
      'count',
      (covered) => {
        const batches = covered.map((i) => {
          const [entry, breaker] = batch[i]!;
          const counted = batchOf(entry.name, entry.generation, entry.tally, breaker.window()!, breaker.tripPeriod(), breaker.openings() + 1);
          clearTally(entry.tally);
          return counted;
        });
        const [first, breaker] = batch[covered[0]!]!;
        return counting!.count(batches, { owner, flush: ++flushes, ...rules.stamp(first.clock, breaker.now(), timeout) });
      },
    );
    if (sent === undefined) return;
    const entries = sent.covered.map((i) => batch[i]![0]);
    const at = sent.covered.map((i) => sentAt[i]!);
    const before = sent.covered.map((i) => answersBefore[i]!);
    const outcome = await sent.outcome;
    if (!outcome.ok || closed) return;
    const records = Array.isArray(outcome.value?.records) ? outcome.value.records : [];
    entries.forEach((entry, k) => {
      if (records[k] !== undefined) tookRead(entry, records[k], at[k]!, before[k]!);
    });
  };

  const attach = (breaker: AttachedBreaker): StoreLink => {
    // Refused before it is attached: the fleet can judge only a window.
    if (counting !== undefined) fleetWindowOf(breaker.window(), breaker.name);
    const ref = new WeakRef(breaker);
    // The methods reach the breaker through `ref` only: the store must not keep it alive.
    const entry: Entry = {
      breaker: ref,
      name: breaker.name,
      owner: `${owner}#${++attached}`,
      lane: freeLane(partitionOf?.(breaker.name) ?? ''),
      lease: lease.newLease(),
      generation: 0,
      answers: 0,
      change: rules.NO_CHANGE,
      lastChangeMissed: false,
      adopting: false,
      hintRead: false,
      hintDeferred: false,
      hintedGeneration: 0,
      clock: rules.UNANSWERED,
      health: rules.USABLE,
      tally: emptyTally(),
      // With `judge: 'fleet'`, each outcome the breaker's window counts: sent to the fleet's window
      // while the store decides, and the breaker's own verdict dropped; judged here while it is away.
      counted(failed: boolean, slow: boolean, verdict: boolean) {
        // decidesLocally's rule, without the object it takes: this runs on every outcome.
        if (closed || (transport.anyOutage && storeOutage(entry)) || rules.recordProblem(entry.health)) return verdict;
        addOutcome(entry.tally, failed, slow);
        return false;
      },
      cleared: () => clearTally(entry.tally),
      changed(from: CircuitState, to: CircuitState) {
        const self = ref.deref();
        // Changes by hand are published by `forced`, after the change, whatever it was.
        if (self === undefined || self.manual() || entry.adopting) return;
        const mode = changeRule(from, to);
        if (mode !== undefined) publish(entry, self, mode);
      },
      forced() {
        const self = ref.deref();
        if (self !== undefined && sharedState(self.state())) publish(entry, self, 'force');
      },
      leaseAnswer: () => entry.lease.asking,
      // `configure` cannot take a fleet-judged breaker's window away, and the new policy's
      // outcomes go to the fleet from its first call, not from the next flush.
      configuring(window) {
        if (counting !== undefined) fleetWindowOf(window, entry.name);
      },
      configured() {
        if (counting !== undefined) ref.deref()?.countOutcomes(entry);
      },
      permit(t: number) {
        const self = ref.deref();
        if (self === undefined) return true;
        const step = rules.trialStep({
          decidesLocally: decidesLocally(entry),
          holdsLease: lease.holds(entry.lease, t, entry.generation),
          change: entry.change,
          mayAskForLease: lease.mayAsk(entry.lease, t),
        });
        if (step === 'run') return true;
        if (step === 'send-change-first') send(entry, self);
        else if (step === 'ask-for-lease') askForLease(entry, self);
        return false;
      },
      wait: (t: number) => (decidesLocally(entry) ? 0 : entry.change.state === 'pending' ? 1 : lease.waitFor(entry.lease, t)),
    };
    entries.add(entry);
    const same = named.get(entry.name);
    if (same === undefined) named.set(entry.name, new Set([entry]));
    else same.add(entry);
    breaker.setTrialGate(entry);
    // Joining an outage, it is told of it as the others were, so its storeUp never comes alone;
    // a microtask later, so listeners added right after the breaker is made hear it.
    const outage = transport.outage(entry.lane.part);
    if (outage !== undefined) {
      void Promise.resolve().then(() => {
        const self = ref.deref();
        if (self !== undefined && transport.outage(entry.lane.part) === outage) moveHealth(entry, self, rules.storeWentAway, outage);
      });
    }
    if (timer === undefined && !closed) timer = timers.setInterval(tick, syncInterval);
    if (counting !== undefined) {
      breaker.countOutcomes(entry);
      if (countTimer === undefined && !closed) countTimer = timers.setInterval(flushCounts, countInterval);
    }
    if (pushWatch === undefined && push !== undefined && !closed) {
      pushWatch = watchPush(push, timers, random, {
        hint,
        // Trusted from now: what changed while it was not is read now, then only at resyncs.
        trusted() {
          ticksToResync = resyncTicks();
          void readAll();
        },
        // Hints may have been lost since the last canary: read everything, and poll. Within half
        // a sync, jittered: a Redis restart loses every process's subscription at once, and the
        // fleet must not read every record in the same millisecond.
        lost: readSoon,
      });
    }
    void readOrProbe(entry);
    return entry;
  };

  const store: CircuitStore = {
    sync,
    close() {
      closed = true;
      if (timer !== undefined) timers.clearInterval(timer);
      if (countTimer !== undefined) timers.clearInterval(countTimer);
      timer = countTimer = undefined;
      if (spacingTimer !== undefined) timers.clearTimeout(spacingTimer);
      if (lostRead !== undefined) timers.clearTimeout(lostRead);
      spacingTimer = lostRead = undefined;
      pushWatch?.close();
    },
    get connected() {
      return !closed && !transport.anyOutage;
    },
  };
  registerStore(store, attach);
  registerSide(store, attachBreaker);
  return store;
}

function groupByPart(entries: readonly Entry[]): Map<string, Entry[]> {
  const groups = new Map<string, Entry[]>();
  for (const entry of entries) {
    const group = groups.get(entry.lane.part);
    if (group === undefined) groups.set(entry.lane.part, [entry]);
    else group.push(entry);
  }
  return groups;
}

// randomUUID exists only in secure contexts (https, localhost) in browsers: elsewhere an id
// random enough to tell this process's lease from another's still serves.
function randomOwner(): string {
  const uuid = (globalThis.crypto as { randomUUID?: () => string } | undefined)?.randomUUID;
  if (typeof uuid === 'function') return uuid.call(globalThis.crypto);
  return `${Math.random().toString(36).slice(2)}${Math.random().toString(36).slice(2)}-${Date.now().toString(36)}`;
}
