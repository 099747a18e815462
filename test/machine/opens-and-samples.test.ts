import { describe, expect, it } from 'vitest';
import type { CircuitState, MachineSettings } from '../../src/machine/machine.js';
import { REJECTED, admit, createMachine, currentState, isCurrentToken, openFor, recordFailure, recordOpeningFailure, recordSuccess, retryAfter } from '../../src/machine/machine.js';

function setup(overrides: Partial<MachineSettings> = {}) {
  let t = 0;
  const transitions: string[] = [];
  const m = createMachine(
    { settings: { failureThreshold: 3, halfOpenMaxCalls: 1, successThreshold: 1, ...overrides }, policy: undefined, openPeriod: 1000 },
    (_observer: undefined, from: CircuitState, to: CircuitState) => transitions.push(`${from}->${to}`),
    undefined,
  );
  return { m, now: () => t, transitions, advance: (ms: number) => (t += ms) };
}

describe('machine: an open period given by the caller', () => {
  it('openFor opens for that period, whatever recoveryTimeout gives, and counts an opening', () => {
    const s = setup();
    openFor(s.m, 0, 5_000);
    expect(retryAfter(s.m, 0)).toBe(5_000);
    expect(s.m.openings).toBe(1);
    s.advance(5_000);
    expect(currentState(s.m, s.now)).toBe('half-open');
    expect(s.transitions).toEqual(['closed->open']); // a read changes nothing
    admit(s.m, s.now);
    expect(s.transitions).toEqual(['closed->open', 'open->half-open']);
  });

  it('recordOpeningFailure opens at once from closed with a current token, and marks a local open', () => {
    const s = setup();
    const token = admit(s.m, s.now);
    recordOpeningFailure(s.m, token, 0, { period: 7_000, local: true });
    expect(s.m.phase).toMatchObject({ state: 'open', openPeriod: 7_000, local: true });
    expect(s.m.consecutiveFailures).toBe(1);
  });

  it('recordOpeningFailure ignores a token that is no longer current', () => {
    const s = setup();
    const token = admit(s.m, s.now);
    openFor(s.m, 0, 1_000);
    recordOpeningFailure(s.m, token, 0, { period: 60_000, local: false });
    expect(retryAfter(s.m, 0)).toBe(1_000);
  });
});

describe('machine: trials judged as a sample', () => {
  it('admits `calls` trials in all, and closes when all are judged below the rates', () => {
    const s = setup({ halfOpenMaxCalls: 3, trials: { calls: 3, failureRate: 0.5, slowCallRate: 1 } });
    openFor(s.m, 0, 1_000);
    s.advance(1_000);
    const tokens = [admit(s.m, s.now), admit(s.m, s.now), admit(s.m, s.now)];
    expect(tokens).not.toContain(REJECTED);
    expect(admit(s.m, s.now)).toBe(REJECTED);
    recordSuccess(s.m, tokens[0]!, false, s.now);
    // A judged trial keeps its place in the sample: no fourth is admitted.
    expect(admit(s.m, s.now)).toBe(REJECTED);
    recordFailure(s.m, tokens[1]!, false, s.now);
    expect(currentState(s.m, s.now)).toBe('half-open');
    // Nor after a failure that stays below the rate: a failed trial keeps its place too.
    expect(admit(s.m, s.now)).toBe(REJECTED);
    recordSuccess(s.m, tokens[2]!, false, s.now);
    expect(currentState(s.m, s.now)).toBe('closed');
  });

  it('re-opens on the slow-call rate of the sample', () => {
    const s = setup({ halfOpenMaxCalls: 2, trials: { calls: 2, failureRate: 1, slowCallRate: 0.5 } });
    openFor(s.m, 0, 1_000);
    s.advance(1_000);
    const token = admit(s.m, s.now);
    recordSuccess(s.m, token, true, s.now);
    expect(currentState(s.m, s.now)).toBe('open');
  });

  it('does not re-open on slow trials below the slow-call rate of the sample, and closes once all are judged', () => {
    const s = setup({ halfOpenMaxCalls: 4, trials: { calls: 4, failureRate: 1, slowCallRate: 0.5 } });
    openFor(s.m, 0, 1_000);
    s.advance(1_000);
    const tokens = Array.from({ length: 4 }, () => admit(s.m, s.now));
    recordSuccess(s.m, tokens[0]!, true, s.now);
    expect(currentState(s.m, s.now)).toBe('half-open');
    tokens.slice(1).forEach((token) => recordSuccess(s.m, token, false, s.now));
    expect(currentState(s.m, s.now)).toBe('closed');
  });

  it('judges a rate of 0.3 over 10 trials at 3 failures (no rounding error in the way)', () => {
    const s = setup({ halfOpenMaxCalls: 10, trials: { calls: 10, failureRate: 0.3, slowCallRate: 1 } });
    openFor(s.m, 0, 1_000);
    s.advance(1_000);
    const tokens = Array.from({ length: 3 }, () => admit(s.m, s.now));
    tokens.forEach((token) => recordFailure(s.m, token, false, s.now));
    expect(currentState(s.m, s.now)).toBe('open');
  });
});

describe('machine: shadow', () => {
  it('gives a call it would reject a token that never counts, and counts it', () => {
    const s = setup({ shadow: true });
    openFor(s.m, 0, 1_000);
    const token = admit(s.m, s.now);
    expect(token).not.toBe(REJECTED);
    expect(isCurrentToken(s.m, token)).toBe(false);
    recordFailure(s.m, token, false, s.now);
    expect(s.m.wouldReject).toBe(1);
    expect(s.m.openings).toBe(1);
    expect(retryAfter(s.m, 0)).toBe(1_000);
  });
});

describe('machine: retryAfter with a sample', () => {
  it('says how long until a place frees up when the sample is all taken, not 0', () => {
    const s = setup({ halfOpenMaxCalls: 2, trials: { calls: 2, failureRate: 1, slowCallRate: 1 } });
    openFor(s.m, 0, 1_000);
    s.advance(1_000);
    const first = admit(s.m, s.now);
    admit(s.m, s.now);
    recordSuccess(s.m, first, false, s.now);
    expect(admit(s.m, s.now)).toBe(REJECTED);
    s.advance(200);
    expect(retryAfter(s.m, 1_200)).toBe(800);
  });
});
