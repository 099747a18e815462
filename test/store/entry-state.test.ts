import { describe, expect, it } from 'vitest';
import type { Health, LocalChange } from '../../src/store/entry-state.js';
import {
  afterChangeAnswered,
  afterUnconfirmed,
  answerRule,
  changeMade,
  changeMissed,
  changeToSend,
  decidesLocally,
  afterTimelyAnswer,
  maySend,
  newerThan,
  NO_CHANGE,
  offsetFrom,
  recordUnusable,
  recordUsable,
  stamp,
  storeCameBack,
  storeWentAway,
  trialStep,
  UNANSWERED,
  USABLE,
} from '../../src/store/entry-state.js';

const record = { generation: 4, elapsed: 0, openPeriod: 0, openings: 0 };

describe('entry state: the latest local change and whether the store took it', () => {
  it('changes are numbered as made; an answer settles a change only if it was the latest and the store took it', () => {
    const first = changeMade(NO_CHANGE, 'trip');
    expect(first).toEqual({ state: 'pending', number: 1, mode: 'trip' });
    expect(afterChangeAnswered(first, 1, false)).toEqual({ state: 'settled', number: 1, mode: 'trip' });
    // Missed (refused as late, a close that found no record): still pending.
    expect(afterChangeAnswered(first, 1, true)).toBe(first);
    // A newer change was made while this one was on its way: the newer one still waits.
    const second = changeMade(first, 'trial');
    expect(newerThan(second, 1)).toBe(true);
    expect(afterChangeAnswered(second, 1, false)).toBe(second);
  });

  it('an unconfirmed change is settled by a decision to take the record in, kept by one to send it again', () => {
    const pending = changeMade(NO_CHANGE, 'trip');
    expect(afterUnconfirmed(pending, { kind: 'publish', mode: 'trip' })).toBe(pending);
    expect(afterUnconfirmed(pending, { kind: 'keep' })).toEqual({ state: 'settled', number: 1, mode: 'trip' });
  });

  it('the store missed a change when it refused it as late, or when a close found no record', () => {
    expect(changeMissed({ state: 'open', ...record, late: true }, 'open')).toBe(true);
    expect(changeMissed({ state: 'none', ...record }, 'close')).toBe(true);
    expect(changeMissed({ state: 'none', ...record }, 'open')).toBe(false);
    expect(changeMissed({ state: 'closed', ...record }, 'close')).toBe(false);
    expect(changeMissed(undefined, 'open')).toBe(false);
  });

  it('the answer to a change: missed twice in a row waits for the sync; missed goes again; taken after a newer change gives its generation only', () => {
    expect(answerRule({ missed: true, missedBefore: true, newerChangeSince: false })).toBe('wait-for-sync');
    expect(answerRule({ missed: true, missedBefore: false, newerChangeSince: true })).toBe('unconfirmed');
    expect(answerRule({ missed: false, missedBefore: true, newerChangeSince: true })).toBe('superseded');
    expect(answerRule({ missed: false, missedBefore: true, newerChangeSince: false })).toBe('reconcile');
  });

  it('a pending change goes out only once the backend has answered, and never over a record that cannot be used', () => {
    const pending = changeMade(NO_CHANGE, 'trip');
    const answered = afterTimelyAnswer(UNANSWERED);
    expect(maySend(pending, UNANSWERED, USABLE)).toBe(false);
    expect(maySend(pending, answered, USABLE)).toBe(true);
    expect(maySend(NO_CHANGE, answered, USABLE)).toBe(false);
    const foreign = recordUnusable(USABLE, 'the key holds a string', 0).health;
    expect(maySend(pending, answered, foreign)).toBe(false);
    // Such a change holds no outage up: it will not be sent.
    expect(changeToSend(pending, foreign)).toBe(false);
    expect(changeToSend(pending, storeWentAway(USABLE, 0).health)).toBe(true);
  });
});

describe('entry state: the backend\'s clock, for stamping changes', () => {
  it('before the backend answered, a change carries no time; after, it carries the breaker\'s time moved by the offset seen halfway through the round trip', () => {
    expect(stamp(UNANSWERED, 5000, 200.4)).toEqual({ decidedAt: 0, maxAge: 201 });
    const clock = offsetFrom(afterTimelyAnswer(UNANSWERED), 1_000_100, 4000, 4200);
    expect(clock).toEqual({ state: 'answered', offset: 1_000_100 - 4100 });
    expect(stamp(clock, 5000.4, 200)).toEqual({ decidedAt: 1_001_000, maxAge: 200 });
    // An answer without the backend's time keeps the offset last seen.
    expect(offsetFrom(clock, undefined, 0, 0)).toBe(clock);
    expect(afterTimelyAnswer(clock)).toBe(clock);
  });
});

describe('entry state: one outage per breaker, from the store or its record', () => {
  it('the store going away begins an outage once; its return ends it, with the time away', () => {
    const down = storeWentAway(USABLE, 1000);
    expect(down).toEqual({ health: { state: 'outage', since: 1000, recordProblem: undefined }, tell: 'storeDown' });
    expect(storeWentAway(down.health, 1500)).toEqual({ health: down.health, tell: 'nothing' });
    expect(storeCameBack(down.health, 1800)).toEqual({ health: USABLE, tell: 'storeUp', downFor: 800 });
    expect(storeCameBack(USABLE, 1800)).toEqual({ health: USABLE, tell: 'nothing' });
  });

  it('a clock stepped back during the outage never makes the time away negative', () => {
    expect(storeCameBack(storeWentAway(USABLE, 1000).health, 400)).toMatchObject({ tell: 'storeUp', downFor: 0 });
  });

  it('a record that cannot be used is one outage with the store\'s: told once, over only when both are back', () => {
    const storeAway = storeWentAway(USABLE, 1000).health;
    const both = recordUnusable(storeAway, 'format version 2', 1200);
    expect(both).toEqual({ health: { state: 'outage', since: 1000, recordProblem: 'format version 2' }, tell: 'nothing' });
    // The store is back, the record still unusable: the outage goes on.
    expect(storeCameBack(both.health, 1300)).toEqual({ health: both.health, tell: 'nothing' });
    // The record is usable, the store still away: the outage goes on, for the store alone.
    const recordBack = recordUsable(both.health, true, 1400);
    expect(recordBack).toEqual({ health: { state: 'outage', since: 1000, recordProblem: undefined }, tell: 'nothing' });
    // Both back.
    expect(recordUsable(both.health, false, 1400)).toEqual({ health: USABLE, tell: 'storeUp', downFor: 400 });
  });

  it('a record that cannot be used begins an outage for its breaker alone, said once', () => {
    const bad = recordUnusable(USABLE, 'the key holds a string', 50);
    expect(bad).toEqual({ health: { state: 'outage', since: 50, recordProblem: 'the key holds a string' }, tell: 'storeDown' });
    expect(recordUnusable(bad.health, 'another problem', 60)).toEqual({ health: bad.health, tell: 'nothing' });
    expect(recordUsable(USABLE, false, 70)).toEqual({ health: USABLE, tell: 'nothing' });
  });

  it('a breaker decides alone while the store is away as announced, once it is closed, and while its record cannot be used', () => {
    const foreign: Health = recordUnusable(USABLE, 'x', 0).health;
    expect(decidesLocally(USABLE, { outage: false, closed: false })).toBe(false);
    expect(decidesLocally(USABLE, { outage: true, closed: false })).toBe(true);
    expect(decidesLocally(USABLE, { outage: false, closed: true })).toBe(true);
    expect(decidesLocally(foreign, { outage: false, closed: false })).toBe(true);
    // Told of the store's outage, but the store is back (storeUp comes next): no longer alone.
    expect(decidesLocally(storeWentAway(USABLE, 0).health, { outage: false, closed: false })).toBe(false);
  });
});

describe('entry state: the trial gate', () => {
  const pending: LocalChange = changeMade(NO_CHANGE, 'trial');
  const gate = { decidesLocally: false, holdsLease: false, change: NO_CHANGE, mayAskForLease: false };

  it('runs a trial when the breaker decides alone, or holds the lease', () => {
    expect(trialStep({ ...gate, decidesLocally: true, change: pending })).toBe('run');
    expect(trialStep({ ...gate, holdsLease: true, change: pending })).toBe('run');
  });

  it('sends a pending change before asking for the lease: a lease granted under the open a failed trial failed would allow a second trial', () => {
    expect(trialStep({ ...gate, change: pending, mayAskForLease: true })).toBe('send-change-first');
  });

  it('asks for the lease when it may, and refuses meanwhile', () => {
    expect(trialStep({ ...gate, mayAskForLease: true })).toBe('ask-for-lease');
    expect(trialStep(gate)).toBe('refuse');
  });
});
