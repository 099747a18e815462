import { describe, expect, it } from 'vitest';
import { changeRule, checkRecord, overtaken, publication, reconcile, reconcileUnconfirmed, superseded } from '../../src/store/record-rules.js';
import type { UsableRecord } from '../../src/store/record-rules.js';

const open = (generation: number, elapsed = 100, openPeriod = 1000): UsableRecord => ({ state: 'open', generation, elapsed, openPeriod, openings: 1 });
const closed = (generation: number): UsableRecord => ({ state: 'closed', generation, elapsed: 0, openPeriod: 0, openings: 0 });

describe('record rules: checking what the store returned', () => {
  it('refuses records that would make a breaker wait forever or compute NaN, saying why', () => {
    expect(checkRecord({ state: 'open', generation: Number.NaN, elapsed: 0, openPeriod: 1000, openings: 1 })).toMatch(/generation/);
    expect(checkRecord({ state: 'open', generation: 1, elapsed: 0, openPeriod: -5, openings: 1 })).toMatch(/negative openPeriod/);
    expect(checkRecord({ state: 'half', generation: 1, elapsed: 0, openPeriod: 5, openings: 1 })).toMatch(/unknown state/);
    expect(checkRecord({ state: 'foreign', generation: 0, elapsed: 0, openPeriod: 0, openings: 0, problem: 'the key holds a string' })).toBe('the key holds a string');
    expect(checkRecord(undefined)).toMatch(/not a record/);
  });

  it('never leaves more than the whole period to wait, whatever the store\'s clock says', () => {
    expect(checkRecord({ state: 'open', generation: 1, elapsed: -3_600_000, openPeriod: 1000, openings: 1 })).toMatchObject({ elapsed: 0 });
    expect(checkRecord({ state: 'open', generation: 1, elapsed: 5000, openPeriod: 1000, openings: 1 })).toMatchObject({ elapsed: 1000 });
  });
});

describe('record rules: taking a record in', () => {
  it('an open decided elsewhere is adopted; one already taken in changes nothing', () => {
    expect(reconcile(open(2), { state: 'closed', generation: 1 })).toMatchObject({ kind: 'take', adopt: 'open', renewed: true });
    expect(reconcile(open(2), { state: 'open', generation: 2 })).toEqual({ kind: 'keep' });
  });

  it('a close decided elsewhere closes; isolated and disabled processes keep their own state', () => {
    expect(reconcile(closed(3), { state: 'open', generation: 2 })).toMatchObject({ kind: 'take', adopt: 'close' });
    expect(reconcile(closed(3), { state: 'isolated', generation: 2 })).toEqual({ kind: 'keep' });
    expect(reconcile(open(3), { state: 'disabled', generation: 2 })).toEqual({ kind: 'keep' });
  });

  it('half-open stays half-open, trials and all, when the record\'s period is over too', () => {
    expect(reconcile(open(2, 1000), { state: 'half-open', generation: 1 })).toMatchObject({ adopt: 'nothing', renewed: true });
    expect(reconcile(open(2, 10), { state: 'half-open', generation: 1 })).toMatchObject({ adopt: 'open' });
  });

  it('a record the store lost is put back only from a process whose open is still running', () => {
    const none: UsableRecord = { state: 'none', generation: 5, elapsed: 0, openPeriod: 0, openings: 0 };
    expect(reconcile(none, { state: 'open', generation: 2 })).toEqual({ kind: 'publish', mode: 'trip' });
    expect(reconcile(none, { state: 'closed', generation: 2 })).toEqual({ kind: 'keep' });
    // Its open is over: put back, it would undo a close decided elsewhere while the store was away.
    expect(reconcile(none, { state: 'half-open', generation: 2 })).toEqual({ kind: 'keep' });
    // The same when a change was waiting to be sent: only a running open goes back.
    expect(reconcileUnconfirmed(none, { state: 'half-open', generation: 2 }, 'trip')).toEqual({ kind: 'keep' });
    expect(reconcileUnconfirmed(none, { state: 'open', generation: 2 }, 'trial')).toEqual({ kind: 'publish', mode: 'trip' });
    // A trial's close goes in as it is: nothing is left to judge it against.
    expect(reconcileUnconfirmed(none, { state: 'closed', generation: 2 }, 'trial')).toEqual({ kind: 'publish', mode: 'force' });
  });

  it('a change made by hand goes again whatever the store holds now: it always wins', () => {
    const none: UsableRecord = { state: 'none', generation: 5, elapsed: 0, openPeriod: 0, openings: 0 };
    expect(reconcileUnconfirmed(none, { state: 'closed', generation: 2 }, 'force')).toEqual({ kind: 'publish', mode: 'force' });
    expect(reconcileUnconfirmed(open(7), { state: 'closed', generation: 2 }, 'force')).toEqual({ kind: 'publish', mode: 'force' });
    expect(reconcileUnconfirmed(closed(7), { state: 'open', generation: 2 }, 'force')).toEqual({ kind: 'publish', mode: 'force' });
    // Isolated and disabled belong to this process: nothing is published.
    expect(reconcileUnconfirmed(open(7), { state: 'isolated', generation: 2 }, 'force')).toEqual({ kind: 'keep' });
  });

  it('the answer to a change followed by a newer one gives only its generation when the change landed', () => {
    // The close landed (generation 3), and this process tripped again since: the record must not undo the trip.
    expect(superseded(closed(3), 'close', { state: 'open', generation: 2 })).toEqual({ kind: 'take', record: closed(3), renewed: true, adopt: 'nothing' });
    // The close did not land (someone opened meanwhile): taken in as any record.
    expect(superseded(open(3), 'close', { state: 'open', generation: 2 })).toMatchObject({ kind: 'take', adopt: 'open' });
    expect(superseded(closed(3), 'open', { state: 'open', generation: 2 })).toMatchObject({ kind: 'take', adopt: 'close' });
  });

  it('a change the store missed is sent again, unless the record moved on; a trial verdict against a gone open becomes a trip', () => {
    expect(reconcileUnconfirmed(open(1), { state: 'open', generation: 1 }, 'trip')).toEqual({ kind: 'publish', mode: 'trip' });
    expect(reconcileUnconfirmed(closed(4), { state: 'open', generation: 1 }, 'trip')).toMatchObject({ kind: 'take', adopt: 'close' });
    expect(reconcileUnconfirmed(closed(1), { state: 'open', generation: 1 }, 'trial')).toEqual({ kind: 'publish', mode: 'trip' });
  });

  it('a change refused as late goes again while the record is the one it was made against, and is dropped once the fleet moved on', () => {
    // Clock stepped back, then a trip: refused as late against the closed record it was made against.
    expect(reconcileUnconfirmed(closed(4), { state: 'open', generation: 4 }, 'trip')).toEqual({ kind: 'publish', mode: 'trip' });
    // A trial's close refused as late against the open it was a trial of: sent again as a trial verdict.
    expect(reconcileUnconfirmed(open(4), { state: 'closed', generation: 4 }, 'trial')).toEqual({ kind: 'publish', mode: 'trial' });
    // Someone else opened meanwhile: the trip is superseded, the record taken in, nothing sent.
    expect(reconcileUnconfirmed(open(5), { state: 'open', generation: 4 }, 'trip')).toMatchObject({ kind: 'take', renewed: true });
    // Someone else closed meanwhile: this process's later open loses to the fleet's close, as any other.
    expect(reconcileUnconfirmed(closed(5), { state: 'open', generation: 4 }, 'trip')).toMatchObject({ kind: 'take', adopt: 'close' });
  });

  it('publishes whole milliseconds, never more elapsed than the period', () => {
    expect(publication('open', { elapsed: 1500.7, openPeriod: 1234.2 }, 2, 'trip')).toEqual({ op: 'open', openPeriod: 1235, elapsed: 1235, openings: 2 });
    expect(publication('closed', undefined, 0, 'trip')).toEqual({ op: 'close', mode: 'trial' });
    expect(publication('isolated', undefined, 0, 'force')).toBeUndefined();
  });

  it('a record closed where this process is not is taken in even at a generation already taken in', () => {
    expect(reconcile(closed(4), { state: 'half-open', generation: 4 })).toEqual({ kind: 'take', record: closed(4), renewed: false, adopt: 'close' });
    // Closed in both places: a newer generation is taken in, and the closed circuit is left as it is.
    expect(reconcile(closed(5), { state: 'closed', generation: 4 })).toEqual({ kind: 'take', record: closed(5), renewed: true, adopt: 'nothing' });
    // An open whose period is over is still taken in by a closed process (it goes half-open at once).
    expect(reconcile(open(5, 1000, 1000), { state: 'closed', generation: 4 })).toMatchObject({ kind: 'take', adopt: 'open' });
  });

  it('a record the store lost changes nothing for a closed process whose last change was a trip', () => {
    const none: UsableRecord = { state: 'none', generation: 5, elapsed: 0, openPeriod: 0, openings: 0 };
    expect(reconcileUnconfirmed(none, { state: 'closed', generation: 2 }, 'trip')).toEqual({ kind: 'keep' });
    expect(superseded(none, 'close', { state: 'closed', generation: 2 })).toEqual({ kind: 'keep' });
  });

  it('a trial verdict sent again stays a trial verdict while the open it judged is the record, or the process closed', () => {
    expect(reconcileUnconfirmed(open(4), { state: 'half-open', generation: 4 }, 'trial')).toEqual({ kind: 'publish', mode: 'trial' });
    expect(reconcileUnconfirmed(closed(4), { state: 'closed', generation: 4 }, 'trial')).toEqual({ kind: 'publish', mode: 'trial' });
  });

  it('the answer to a superseded change, of the generation already taken in, is not taken as a new generation', () => {
    expect(superseded(open(5), 'open', { state: 'open', generation: 5 })).toEqual({ kind: 'take', record: open(5), renewed: false, adopt: 'nothing' });
  });

  it('a read of an older generation is history only when another answer was taken in while it was on its way', () => {
    // Overtaken: the close answered meanwhile is newer; taken in, the read would open the circuit again.
    expect(overtaken(open(7), { state: 'closed', generation: 8 }, true)).toBe(true);
    // Nothing answered meanwhile: the record is what the store holds now, even of a lower generation (set by hand).
    expect(overtaken(open(7), { state: 'closed', generation: 8 }, false)).toBe(false);
    // As new or newer than what was taken in: never history.
    expect(overtaken(open(8), { state: 'closed', generation: 8 }, true)).toBe(false);
    expect(overtaken(closed(9), { state: 'open', generation: 8 }, true)).toBe(false);
  });

  it('a process that left half-open while the record is still the open it was granted the lease under publishes its state as that trial\'s verdict', () => {
    const trialOf = { generation: 7, leaseGeneration: 7 };
    // Opened again (a trip after a close that never landed): a trip would change nothing; a verdict moves the record on.
    expect(reconcile(open(7, 1000), { state: 'open', ...trialOf })).toEqual({ kind: 'publish', mode: 'trial' });
    expect(reconcileUnconfirmed(open(7, 1000), { state: 'open', ...trialOf }, 'trip')).toEqual({ kind: 'publish', mode: 'trial' });
    // Closed by its trial: the close goes in, rather than the record's open being taken.
    expect(reconcile(open(7, 1000), { state: 'closed', ...trialOf })).toEqual({ kind: 'publish', mode: 'trial' });
    // Still half-open (its trials running), a lease of an older open, or none: nothing of the kind.
    expect(reconcile(open(7, 1000), { state: 'half-open', ...trialOf })).toEqual({ kind: 'keep' });
    expect(reconcile(open(7, 1000), { state: 'open', generation: 7, leaseGeneration: 6 })).toEqual({ kind: 'keep' });
    expect(reconcile(open(7, 1000), { state: 'open', generation: 7 })).toEqual({ kind: 'keep' });
    // A change by hand still wins.
    expect(reconcileUnconfirmed(open(7, 1000), { state: 'open', ...trialOf }, 'force')).toEqual({ kind: 'publish', mode: 'force' });
  });

  it('publishes an open only for an open or half-open circuit with its period, and a close only for a closed one', () => {
    expect(publication('closed', { elapsed: 0, openPeriod: 1000 }, 0, 'trip')).toEqual({ op: 'close', mode: 'trial' });
    expect(publication('isolated', { elapsed: 0, openPeriod: 1000 }, 1, 'trip')).toBeUndefined();
    expect(publication('open', undefined, 1, 'trip')).toBeUndefined();
    expect(publication('half-open', { elapsed: 1000, openPeriod: 1000 }, 1, 'trip')).toEqual({ op: 'open', openPeriod: 1000, elapsed: 1000, openings: 1 });
  });
});

describe('record rules: checking what the store returned, the edges', () => {
  it('refuses null, a foreign record without a reason, and negative openings, saying why', () => {
    expect(checkRecord(null)).toBe('not a record: null');
    expect(checkRecord({ state: 'foreign', generation: 0, elapsed: 0, period: 0, openings: 0 })).toBe('not a circuitry record');
    expect(checkRecord({ state: 'open', generation: 1, elapsed: 0, openPeriod: 1000, openings: -1 })).toMatch(/negative/);
  });

  it('keeps the backend\'s time only when it is a finite number', () => {
    const base = { state: 'open', generation: 1, elapsed: 0, openPeriod: 1000, openings: 1 };
    expect(checkRecord({ ...base, at: 5000 })).toMatchObject({ at: 5000 });
    for (const at of [Number.NaN, Infinity, '5000']) expect(checkRecord({ ...base, at })).not.toHaveProperty('at');
  });

  it('publishes a trial\'s verdict as a trial and a trip as a trip; moves to half-open, isolated or disabled not at all', () => {
    expect(changeRule('half-open', 'closed')).toBe('trial');
    expect(changeRule('half-open', 'open')).toBe('trial');
    expect(changeRule('closed', 'open')).toBe('trip');
    expect(changeRule('open', 'half-open')).toBeUndefined();
    expect(changeRule('closed', 'isolated')).toBeUndefined();
  });
});
