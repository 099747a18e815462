import { describe, expect, it } from 'vitest';
import type { CircuitState, MachineSettings } from '../../src/machine/machine.js';
import {
  REJECTED,
  admit,
  adoptOpen,
  close,
  createMachine,
  currentState,
  isolate,
  open,
  releaseHold,
  recordFailure,
  recordSuccess,
  release,
  retryAfter,
} from '../../src/machine/machine.js';

const settings: MachineSettings = { failureThreshold: 3, halfOpenMaxCalls: 1, successThreshold: 1 };

function setup(overrides: Partial<MachineSettings> = {}) {
  let t = 0;
  const transitions: string[] = [];
  const m = createMachine(
    { settings: { ...settings, ...overrides }, policy: undefined, openPeriod: 1000 },
    (_observer: undefined, from: CircuitState, to: CircuitState) => {
      transitions.push(`${from}->${to}`);
    },
    undefined,
  );
  let reads = 0;
  const now = () => {
    reads += 1;
    return t;
  };
  return {
    m,
    now,
    transitions,
    advance: (ms: number) => {
      t += ms;
    },
    get reads() {
      return reads;
    },
  };
}

function trip(s: ReturnType<typeof setup>): void {
  for (let i = 0; i < s.m.settings.failureThreshold; i++) recordFailure(s.m, admit(s.m, s.now), false, s.now);
}

describe('state machine', () => {
  it('admits every call while closed without reading the clock', () => {
    const s = setup();
    const a = admit(s.m, s.now);
    const b = admit(s.m, s.now);
    expect(a).not.toBe(REJECTED);
    expect(b).toBe(a);
    recordSuccess(s.m, a, false, s.now);
    expect(s.reads).toBe(0);
  });

  it('counts consecutive failures, resets on success, opens at the threshold', () => {
    const s = setup();
    recordFailure(s.m, admit(s.m, s.now), false, s.now);
    recordFailure(s.m, admit(s.m, s.now), false, s.now);
    expect(s.m.consecutiveFailures).toBe(2);
    recordSuccess(s.m, admit(s.m, s.now), false, s.now);
    expect(s.m.consecutiveFailures).toBe(0);
    trip(s);
    expect(s.m.phase.state).toBe('open');
    expect(s.transitions).toEqual(['closed->open']);
  });

  it('rejects while open and becomes half-open exactly at the recovery timeout', () => {
    const s = setup();
    trip(s);
    s.advance(999);
    expect(admit(s.m, s.now)).toBe(REJECTED);
    expect(retryAfter(s.m, s.now())).toBe(1);
    s.advance(1);
    expect(currentState(s.m, s.now)).toBe('half-open');
    expect(s.transitions).toEqual(['closed->open']); // a read changes nothing
    admit(s.m, s.now);
    expect(s.transitions).toEqual(['closed->open', 'open->half-open']);
  });

  it('admits halfOpenMaxCalls trials at once and closes after successThreshold successes', () => {
    const s = setup({ halfOpenMaxCalls: 2, successThreshold: 2 });
    trip(s);
    s.advance(1000);
    const t1 = admit(s.m, s.now);
    const t2 = admit(s.m, s.now);
    expect([t1, t2]).not.toContain(REJECTED);
    expect(t1).not.toBe(t2);
    expect(admit(s.m, s.now)).toBe(REJECTED);
    recordSuccess(s.m, t1, false, s.now);
    expect(s.m.phase.state).toBe('half-open');
    recordSuccess(s.m, t2, false, s.now);
    expect(s.m.phase.state).toBe('closed');
    expect(s.m.consecutiveFailures).toBe(0);
  });

  it('re-opens on a trial failure and restarts the recovery timeout', () => {
    const s = setup();
    trip(s);
    s.advance(1000);
    const trial = admit(s.m, s.now);
    s.advance(200);
    recordFailure(s.m, trial, false, s.now);
    expect(s.m.phase).toEqual({ state: 'open', openedAt: 1200, openPeriod: 1000 });
    expect(retryAfter(s.m, s.now())).toBe(1000);
  });

  it('frees a trial slot for an outcome that counts neither way', () => {
    const s = setup();
    trip(s);
    s.advance(1000);
    const trial = admit(s.m, s.now);
    expect(admit(s.m, s.now)).toBe(REJECTED);
    release(s.m, trial);
    expect(admit(s.m, s.now)).not.toBe(REJECTED);
    expect(s.m.phase.state).toBe('half-open');
  });

  it('lets a trial slot lapse after the recovery timeout and ignores the lapsed outcome', () => {
    const s = setup();
    trip(s);
    s.advance(1000);
    const hung = admit(s.m, s.now);
    s.advance(999);
    expect(admit(s.m, s.now)).toBe(REJECTED);
    expect(retryAfter(s.m, s.now())).toBe(1);
    s.advance(1);
    const fresh = admit(s.m, s.now);
    expect(fresh).not.toBe(REJECTED);
    recordFailure(s.m, hung, false, s.now);
    expect(s.m.phase.state).toBe('half-open');
    recordSuccess(s.m, fresh, false, s.now);
    expect(s.m.phase.state).toBe('closed');
  });

  it('stays open at most the recovery timeout after the clock steps back, however far', () => {
    const s = setup();
    s.advance(1_000_000);
    trip(s);
    s.advance(-60_000);
    s.advance(1500);
    expect(retryAfter(s.m, s.now())).toBeLessThanOrEqual(1000);
    s.advance(1000);
    expect(currentState(s.m, s.now)).toBe('half-open');
  });

  it('never promises a longer wait than before when the clock steps back by less than the time already waited', () => {
    const s = setup();
    trip(s);
    s.advance(900);
    expect(retryAfter(s.m, s.now())).toBe(100);
    s.advance(-800);
    expect(retryAfter(s.m, s.now())).toBe(100);
    s.advance(100);
    expect(currentState(s.m, s.now)).toBe('half-open');
  });

  it('lets a hung trial slot lapse at most the recovery timeout after the clock steps back', () => {
    const s = setup();
    trip(s);
    s.advance(1000);
    const hung = admit(s.m, s.now);
    expect(hung).not.toBe(REJECTED);
    s.advance(-60_000);
    expect(admit(s.m, s.now)).toBe(REJECTED);
    expect(retryAfter(s.m, s.now())).toBeLessThanOrEqual(1000);
    s.advance(1000);
    expect(admit(s.m, s.now)).not.toBe(REJECTED);
  });

  it('takes in an open from another clock for at most its period, whatever elapsed it claims', () => {
    for (const elapsed of [-3_600_000, Number.NaN]) {
      const s = setup();
      adoptOpen(s.m, s.now(), elapsed, 1000, 1);
      expect(retryAfter(s.m, s.now())).toBe(1000);
      s.advance(1000);
      expect(currentState(s.m, s.now)).toBe('half-open');
    }
  });

  it('reports taking in an open from elsewhere only when the circuit was not open already', () => {
    const s = setup();
    adoptOpen(s.m, s.now(), 0, 1000, 1);
    adoptOpen(s.m, s.now(), 500, 1000, 2);
    expect(s.transitions).toEqual(['closed->open']);
    expect(retryAfter(s.m, s.now())).toBe(500);
  });

  it('takes in an open whose period is not a positive finite number for the local open time instead', () => {
    for (const period of [Number.NaN, Infinity, -5, 0]) {
      const s = setup();
      adoptOpen(s.m, s.now(), 0, period, 1);
      expect(retryAfter(s.m, s.now())).toBe(1000);
    }
  });

  it('drops outcomes admitted under an earlier state', () => {
    const s = setup();
    const early = admit(s.m, s.now);
    trip(s);
    s.advance(1000);
    recordSuccess(s.m, early, false, s.now);
    expect(currentState(s.m, s.now)).toBe('half-open');
    recordSuccess(s.m, admit(s.m, s.now), false, s.now);
    expect(s.m.phase.state).toBe('closed');
    // A failure from the closed period before the trip does not count in the new closed period.
    recordFailure(s.m, early, false, s.now);
    expect(s.m.consecutiveFailures).toBe(0);
  });

  it('refuses every call while isolated without reading the clock, however much time passes', () => {
    const s = setup();
    isolate(s.m);
    const before = s.reads;
    s.advance(1_000_000);
    expect(admit(s.m, s.now)).toBe(REJECTED);
    expect(s.reads).toBe(before);
  });

  it('reports a closed state without reading the clock', () => {
    const s = setup();
    expect(currentState(s.m, s.now)).toBe('closed');
    expect(s.reads).toBe(0);
  });

  it('keeps counting openings across an isolation, so a growing open period goes on growing', () => {
    let t = 0;
    const now = () => t;
    const m = createMachine({ settings: { ...settings, failureThreshold: 1 }, policy: undefined, openPeriod: (n: number) => 1000 * n }, () => undefined, undefined);
    recordFailure(m, admit(m, now), false, now);
    isolate(m);
    releaseHold(m);
    expect(currentState(m, now)).toBe('half-open');
    recordFailure(m, admit(m, now), false, now);
    expect(retryAfter(m, t)).toBe(2000); // the second opening in a row
  });

  it('stays isolated while any hold remains, whichever is released first', () => {
    const s = setup();
    isolate(s.m);
    isolate(s.m);
    releaseHold(s.m);
    expect(s.m.phase.state).toBe('isolated');
    releaseHold(s.m);
    expect(s.m.phase.state).toBe('half-open');
  });

  it('changes nothing when a hold is released after the isolation ended, or with none taken', () => {
    const fresh = setup();
    releaseHold(fresh.m);
    expect(fresh.m.phase.state).toBe('closed');
    const s = setup();
    isolate(s.m);
    close(s.m);
    releaseHold(s.m);
    expect(s.m.phase.state).toBe('closed');
    expect(s.transitions).toEqual(['closed->isolated', 'isolated->closed']);
  });

  it('forces open and closed, and reports only real changes', () => {
    const s = setup();
    close(s.m);
    expect(s.transitions).toEqual([]);
    open(s.m, s.now());
    open(s.m, s.now());
    close(s.m);
    expect(s.transitions).toEqual(['closed->open', 'open->closed']);
  });
});
