import { describeValue, exactKeys, plainObject } from '../check/check.js';
import type { CircuitState, Machine, Phase } from '../machine/machine.js';
import { halfOpen, judgeTrialsSoFar, openPeriodFor } from '../machine/machine.js';

/**
 * A breaker's state as plain JSON, from `breaker.toJSON()`; pass it to `restoreBreaker` to carry
 * a circuit across a restart. Times are readings of the breaker's clock (with
 * the default clock, `Date.now()`), so an open circuit keeps its remaining open time.
 */
export type CircuitSnapshot = {
  /** The snapshot format. `restoreBreaker` also takes version 1 (0.1.0), whose fields had older names. */
  version: 2;
  /** The breaker's name; `restoreBreaker` uses it when its options name none. */
  name: string;
  /** Counted failures in a row. */
  consecutiveFailures: number;
  /** Openings in a row since the circuit last closed, which a growing `recoveryTimeout` reads. */
  openings: number;
  /** What the trip policy saved, or null for the default policy. */
  policy: unknown;
} & (
  | {
      /** A circuit that lets calls through. */
      state: 'closed' | 'disabled';
    }
  | {
      /** A circuit that refuses calls until its open period is over. */
      state: 'open';
      /** Clock reading when the circuit opened. */
      openedAt: number;
      /** This opening's open period, in ms (what `recoveryTimeout` gave it). */
      openPeriod: number;
    }
  | {
      /** A circuit letting trial calls decide. */
      state: 'half-open';
      /** Trial successes in a row so far. */
      successes: number;
      /** The trial lapse: ms after which a trial that has not settled gives its slot up. */
      trialLapse: number;
    }
  | {
      /** A circuit held open by hand; a restored one is held by none. */
      state: 'isolated';
      /** How many holds it had when saved; a restored isolation starts with none. */
      holds: number;
    }
);

const STATE_KEYS: Record<CircuitState, readonly string[]> = {
  closed: [],
  disabled: [],
  open: ['openedAt', 'openPeriod'],
  'half-open': ['successes', 'trialLapse'],
  isolated: ['holds'],
};
const BASE_KEYS = ['version', 'name', 'state', 'consecutiveFailures', 'openings', 'policy'];
// Version 1 (0.1.0) named three fields otherwise; a saved snapshot of it still restores.
const VERSION_1_NAMES: Readonly<Record<string, string>> = { failures: 'consecutiveFailures', openFor: 'openPeriod', lapseAfter: 'trialLapse' };

function fromVersion1(s: Record<string, unknown>): Record<string, unknown> {
  // fromEntries defines keys as own data, so a "__proto__" key stays a key, to be refused below.
  const renamed = Object.fromEntries(Object.keys(s).map((key) => [Object.hasOwn(VERSION_1_NAMES, key) ? VERSION_1_NAMES[key]! : key, s[key]]));
  renamed.version = 2;
  return renamed;
}

export function snapshotMachine(m: Machine, name: string): CircuitSnapshot {
  const base = { version: 2 as const, name, consecutiveFailures: m.consecutiveFailures, openings: m.openings, policy: m.policy?.snapshot?.() ?? null };
  const phase = m.phase;
  switch (phase.state) {
    case 'open':
      return { ...base, state: 'open', openedAt: phase.openedAt, openPeriod: phase.openPeriod };
    case 'half-open':
      // Trials in flight belong to this process; a restored circuit admits fresh ones.
      return { ...base, state: 'half-open', successes: phase.successes, trialLapse: phase.trialLapse };
    case 'isolated':
      return { ...base, state: 'isolated', holds: phase.holds };
    default:
      return { ...base, state: phase.state };
  }
}

/**
 * Puts the machine in the state `snapshot` describes, as of the local clock reading `t`, or
 * throws a `TypeError` or `RangeError` and changes nothing. Every field is checked before
 * anything is applied. `longestGiven` is the longest open period this breaker may have been given
 * from elsewhere (`maxOpenPeriod`, with `openPeriodOf`; 0 without).
 */
export function restoreMachine(m: Machine, snapshot: unknown, t: number, longestGiven = 0): void {
  const given = plainObject(snapshot, 'snapshot', 'an object from breaker.toJSON()');
  const s = given.version === 1 ? fromVersion1(given) : given;
  const state = Object.hasOwn(s, 'state') ? s.state : undefined;
  if (typeof state !== 'string' || !Object.hasOwn(STATE_KEYS, state)) {
    throw new TypeError(`snapshot.state must be one of ${Object.keys(STATE_KEYS).join(', ')}, got ${describeValue(state)}`);
  }
  exactKeys(s, 'snapshot', [...BASE_KEYS, ...STATE_KEYS[state as CircuitState]]);
  if (s.version !== 2) throw new RangeError(`snapshot.version must be 2 (or 1), got ${describeValue(s.version)}`);
  if (typeof s.name !== 'string') throw new TypeError(`snapshot.name must be a string, got ${describeValue(s.name)}`);
  const count = (key: string, min = 0): number => {
    const v = s[key];
    if (!Number.isSafeInteger(v) || (v as number) < min) {
      throw new RangeError(`snapshot.${key} must be an integer of at least ${min}, got ${describeValue(v)}`);
    }
    return v as number;
  };
  const time = (key: string, positive: boolean): number => {
    const v = s[key];
    if (typeof v !== 'number' || !Number.isFinite(v) || (positive && v <= 0)) {
      throw new RangeError(`snapshot.${key} must be a ${positive ? 'positive ' : ''}finite number, got ${describeValue(v)}`);
    }
    return v;
  };
  const consecutiveFailures = count('consecutiveFailures');
  const openings = count('openings');
  let phase: Phase;
  // The snapshot's times are another clock's (another host, or an untrusted file): an open time
  // ahead of this clock counts from now, and no period outlasts what this breaker gives the same
  // opening (or `openPeriodOf` may give), so a restored open lasts at most that long, whatever the
  // file says. "Gives" is as configured now: a period given before configure() shortened
  // recoveryTimeout is cut too.
  const longest = Math.max(openPeriodFor(m, Math.max(openings, 1)), longestGiven);
  const period = (key: string): number => Math.min(time(key, true), longest);
  if (state === 'open') phase = { state, openedAt: Math.min(time('openedAt', false), t), openPeriod: period('openPeriod') };
  else if (state === 'half-open') phase = halfOpen(period('trialLapse'), count('successes'));
  // The holds' release functions stayed with the old breaker: a restored isolation is held by
  // none, and ends with close()/reset(), or when an isolate() taken on it is released.
  else if (state === 'isolated') phase = (count('holds'), { state, holds: 0 });
  else phase = { state: state as 'closed' | 'disabled', token: ++m.lastToken };

  const policy = m.policy;
  if (s.policy !== null) {
    if (policy?.restore === undefined) throw new TypeError('snapshot.policy holds window counts, but this breaker\'s policy cannot restore them');
    policy.restore(s.policy);
  } else {
    policy?.reset();
  }
  m.consecutiveFailures = consecutiveFailures;
  m.openings = openings;
  m.seen = t;
  m.phase = phase;
  judgeTrialsSoFar(m, () => t);
}
