/**
 * The circuit state machine: plain data and synchronous functions of time.
 *
 * It knows nothing of promises, decorators, listeners or clocks. Time is passed in as a reader
 * that is only called when a decision needs it, so the closed-state success path never reads it.
 * Every admitted call gets a token; an outcome whose token no longer belongs to the current state
 * is dropped, so a late result can never flip a state it was not admitted under (gobreaker's
 * generation idea).
 */
import type { TripPolicy } from './trip-policy.js';

/**
 * The states a circuit can be in. `'isolated'` is held open by hand until released;
 * `'disabled'` lets every call through and never changes state by itself.
 */
export type CircuitState = 'closed' | 'open' | 'half-open' | 'isolated' | 'disabled';

/** The numbers that drive the state machine, already validated (the breaker's resolved options). */
export interface MachineSettings {
  readonly failureThreshold: number;
  readonly halfOpenMaxCalls: number;
  readonly successThreshold: number;
  /** Set when trials are judged as a sample, by rates, instead of by `successThreshold`. */
  readonly trials?: TrialSample | undefined;
  /** True when a call that would be rejected runs anyway, counted in {@link Machine.wouldReject}. */
  readonly shadow?: boolean | undefined;
  /** Set when a close that ends an outage admits a growing share of calls for a while. */
  readonly ramp?: RampSettings | undefined;
}

/**
 * The `ramp` option, checked: for `duration` ms after the circuit closes from half-open (or takes
 * on a close from a shared store), it admits a share of calls that grows with the time gone,
 * `max(minShare, elapsed / duration)`, to all of them: Envoy's slow start with aggression 1.
 */
export interface RampSettings {
  /** How long the ramp lasts, in ms. */
  readonly duration: number;
  /** The share admitted as the ramp starts (above 0, at most 1). */
  readonly minShare: number;
}

/**
 * The `trials` option, checked: `calls` trials are admitted while half-open and judged together.
 * The circuit re-opens as soon as the failures (or slow trials) among them reach their rate of
 * `calls`, and closes once all `calls` outcomes are in below both rates.
 */
export interface TrialSample {
  /** Trials admitted, and judged together, in one half-open period. */
  readonly calls: number;
  /** Failure rate of the sample (above 0, at most 1) at or above which the circuit re-opens. */
  readonly failureRate: number;
  /** Slow-trial rate of the sample at or above which the circuit re-opens. */
  readonly slowCallRate: number;
}

/** What the machine is configured with; `configure` swaps all three together. */
export interface MachineConfig {
  readonly settings: MachineSettings;
  /** Undefined for the default policy: `failureThreshold` consecutive failures, counted inline. */
  readonly policy: TripPolicy | undefined;
  /** The open period: fixed, or given how many times in a row the circuit has opened (1, 2, ...). */
  readonly openPeriod: number | ((openings: number) => number);
}

/**
 * A ramp under way, with the settings it started with (as an open keeps its open period, a ramp
 * keeps its length when `configure` changes the option).
 */
interface Ramp extends RampSettings {
  /** Moved back with the clock when it steps back, like an open's `openedAt`. */
  startedAt: number;
  /**
   * What the calls must still earn before one runs: each call earns the share of the moment, and
   * runs once nothing is due, which puts 1 due again. It starts at `minShare`, so the first call
   * runs, then one in `1 / share`. A running ratio of admitted to offered calls would lag behind a
   * share that grows, then let every call through until it caught up, a herd of its own; this
   * follows the share of the moment, and idle time earns nothing.
   */
  due: number;
}

interface Trial {
  readonly token: number;
  /** Moved back with the clock when it steps back, like an open's `openedAt`. */
  admittedAt: number;
}

/** Each state carries only the data it needs. */
export type Phase =
  | {
      readonly state: 'closed';
      readonly token: number;
      /** Set while a close that ended an outage admits only a share of the calls; dropped once it ends. */
      ramp?: Ramp | undefined;
    }
  | {
      readonly state: 'open';
      openedAt: number;
      readonly openPeriod: number;
      /** An open this process keeps to itself: a shared store neither publishes nor undoes it. */
      readonly local?: true | undefined;
    }
  | {
      readonly state: 'half-open';
      readonly trials: Trial[];
      successes: number;
      /** Counted trial failures, and slow trials, so far: what a {@link TrialSample} is judged by. */
      failures: number;
      slowCalls: number;
      readonly trialLapse: number;
    }
  | { readonly state: 'isolated'; holds: number }
  | { readonly state: 'disabled'; readonly token: number };

export interface Machine extends MachineConfig {
  phase: Phase;
  /** Counted failures in a row; a success or a close resets them. */
  consecutiveFailures: number;
  /** Openings since the circuit was last closed: 1 for a first trip, 2 after a failed trial, ... */
  openings: number;
  /** Tokens only ever grow, so one that was handed out is never handed out again. */
  lastToken: number;
  /** Calls a shadow breaker let through that it would have rejected. */
  wouldReject: number;
  /**
   * Called after every real change of state, with the phase already in place, and given
   * `observer`: one shared function serves every machine, so a machine costs no closure.
   */
  readonly onTransition: <O>(observer: O, from: CircuitState, to: CircuitState) => void;
  readonly observer: unknown;
  /** Set when trial calls need a permit from elsewhere (a shared store); undefined otherwise. */
  trialGate: TrialGate | undefined;
  /**
   * The latest clock reading a decision or a read was made at (the closed path reads none). A
   * reading below it means the clock stepped back: the open time, the trials and a ramp's start
   * are moved back with it, so the step counts as no time at all rather than as a wait of its size.
   */
  seen: number;
}

/**
 * Decides, synchronously, whether this process may run a trial call now. A shared store answers
 * from what it already knows (a lease it holds, a refusal it was given) and asks the fleet in
 * the background, so the machine never waits.
 */
export interface TrialGate {
  /** True when a trial may run at `t`; may start asking for a permit, but never waits for it. */
  permit(t: number): boolean;
  /** Milliseconds until {@link TrialGate.permit} may say yes. */
  wait(t: number): number;
}

// A closed phase without a ramp is never changed in place (only half-open's trials, a ramp, an
// isolation's holds and the times a backwards clock step moves are), so every new machine can
// start from this one.
const FIRST_PHASE: Phase = Object.freeze({ state: 'closed', token: 0 });

/** What {@link admit} returns for a call that must not run. Tokens are never negative. */
export const REJECTED = -1;

/** What a shadow machine gives a call it would have rejected: never current, so its outcome is late. */
const SHADOWED = -2;

export type Now = () => number;

export function createMachine<O>(
  config: MachineConfig,
  onTransition: (observer: O, from: CircuitState, to: CircuitState) => void,
  observer: O,
): Machine {
  return {
    settings: config.settings,
    policy: config.policy,
    openPeriod: config.openPeriod,
    phase: FIRST_PHASE,
    consecutiveFailures: 0,
    openings: 0,
    lastToken: 0,
    wouldReject: 0,
    onTransition: onTransition as Machine['onTransition'],
    observer,
    trialGate: undefined,
    // Stale until the first reading, when there is no instant yet to move.
    seen: 0,
  };
}

/**
 * The state as of `now()`, changing nothing: an open circuit whose open time has passed reads
 * `'half-open'`, but becomes half-open (and says so) only when a call arrives. A health check
 * polling the state must not raise a change of state that no trial has made.
 */
export function currentState(m: Machine, now: Now): CircuitState {
  const phase = m.phase;
  if (phase.state !== 'open') return phase.state;
  const t = now();
  noteClock(m, t);
  return openExpired(phase, t) ? 'half-open' : 'open';
}

/** Replaces settings, policy and open time at once, and judges the trials so far by the new settings. */
export function reconfigure(m: Machine, config: MachineConfig, now: Now): void {
  const target = m as { -readonly [K in keyof MachineConfig]: MachineConfig[K] };
  target.settings = config.settings;
  target.policy = config.policy;
  target.openPeriod = config.openPeriod;
  judgeTrialsSoFar(m, now);
}

/**
 * Judges a half-open circuit's trials so far, as new settings or a restore have them: a sample
 * made smaller than the trials it has judged would otherwise wait for a trial it has no place
 * for, refusing every call for good.
 */
export function judgeTrialsSoFar(m: Machine, now: Now): void {
  if (m.phase.state === 'half-open') judgeTrials(m, m.phase, false, now);
}

/** Asks to run a call. Returns its token, or {@link REJECTED}. */
export function admit(m: Machine, now: Now): number {
  const phase = m.phase;
  // The one read a ramp adds to the closed path; a ramp's calls are judged with the others.
  if (phase.state === 'closed' && !phase.ramp) return phase.token;
  return admitAfterJudging(m, now);
}

function admitAfterJudging(m: Machine, now: Now): number {
  const token = judgeAdmission(m, now);
  if (token !== REJECTED || !m.settings.shadow) return token;
  // A shadow breaker refuses nothing: the call runs with a token that never counts, as a late
  // call's does, so the state moves on the outcomes it would have seen.
  m.wouldReject += 1;
  return SHADOWED;
}

function judgeAdmission(m: Machine, now: Now): number {
  if (m.phase.state === 'disabled') return m.phase.token;
  if (m.phase.state === 'isolated') return REJECTED;
  const t = now();
  refresh(m, t);
  const phase = m.phase;
  if (phase.state === 'closed') {
    // Only a closed phase with a ramp comes this far: its calls run as `Ramp.due` says.
    const ramp = phase.ramp!;
    const share = rampShare(m, t);
    if (share === undefined) phase.ramp = undefined;
    // Shares such as 0.1 do not add up to exactly 1 in binary: a hair's margin keeps one call in
    // 10 one in 10, and a call at the moment `retryAfter` named admitted.
    else if ((ramp.due -= share) > 1e-9) return REJECTED;
    else ramp.due += 1;
    return phase.token;
  }
  if (phase.state !== 'half-open') return REJECTED;
  dropLapsedTrials(phase.trials, t - phase.trialLapse);
  if (!hasTrialRoom(m, phase)) return REJECTED;
  if (m.trialGate !== undefined && !m.trialGate.permit(t)) return REJECTED;
  const token = ++m.lastToken;
  phase.trials.push({ token, admittedAt: t });
  return token;
}

/** Whether an outcome of the call admitted with `token` would count: it belongs to the current phase. */
export function isCurrentToken(m: Machine, token: number): boolean {
  const phase = m.phase;
  if (phase.state === 'closed') return token === phase.token;
  return phase.state === 'half-open' && phase.trials.some((trial) => trial.token === token);
}

/** Records a success of the call admitted with `token`; `slow` when it took `slowCallDuration`. */
export function recordSuccess(m: Machine, token: number, slow: boolean, now: Now): void {
  const phase = m.phase;
  if (phase.state === 'closed') {
    if (token !== phase.token) return;
    m.consecutiveFailures = 0;
    if (m.policy?.onSuccess(slow, now)) open(m, now());
    return;
  }
  if (phase.state === 'half-open' && removeTrial(phase.trials, token)) {
    m.consecutiveFailures = 0;
    phase.successes += 1;
    judgeTrials(m, phase, slow, now);
  }
}

/** Records a counted failure of the call admitted with `token`. */
export function recordFailure(m: Machine, token: number, slow: boolean, now: Now): void {
  const phase = m.phase;
  if (phase.state === 'closed') {
    if (token !== phase.token) return;
    m.consecutiveFailures += 1;
    const policy = m.policy;
    if (policy === undefined ? m.consecutiveFailures >= m.settings.failureThreshold : policy.onFailure(slow, now)) open(m, now());
    return;
  }
  if (phase.state === 'half-open' && removeTrial(phase.trials, token)) {
    m.consecutiveFailures += 1;
    phase.failures += 1;
    judgeTrials(m, phase, slow, now);
  }
}

/**
 * Records a counted failure that opens the circuit at once for `opening.period` ms, whatever the
 * counts say: the dependency said how long it needs. `local` keeps the open in this process.
 */
export function recordOpeningFailure(m: Machine, token: number, t: number, opening: { readonly period: number; readonly local: boolean }): void {
  if (!isCurrentToken(m, token)) return;
  m.consecutiveFailures += 1;
  openFor(m, t, opening.period, opening.local || undefined);
}

type HalfOpen = Extract<Phase, { state: 'half-open' }>;
type Closed = Extract<Phase, { state: 'closed' }>;

/**
 * The share of calls a ramp admits at `t`, or undefined while no ramp is under way (the circuit
 * is not closed, it closed without one, or the ramp is over).
 */
export function rampShare(m: Machine, t: number): number | undefined {
  noteClock(m, t);
  // Only a closed phase has a ramp (the others read undefined); no ramp reads as one that is over.
  const ramp = (m.phase as Closed).ramp;
  const done = ramp ? (t - ramp.startedAt) / ramp.duration : 1;
  return done < 1 ? Math.max(ramp!.minShare, done) : undefined;
}

// A trial slot is free, and with a sample, a place in it: those in flight and those judged count.
function hasTrialRoom(m: Machine, phase: HalfOpen): boolean {
  const sample = m.settings.trials;
  return phase.trials.length < m.settings.halfOpenMaxCalls && (sample === undefined || phase.trials.length + phase.successes + phase.failures < sample.calls);
}

// One by one, a counted failure re-opens (one a sample counted before configure() switched it off
// too, judged then) and `successThreshold` successes close. A sample
// re-opens once its failures (or slow trials) reach their rate of the whole sample, which no
// later outcome can undo, and closes once every one of its trials is judged below both rates.
function judgeTrials(m: Machine, phase: HalfOpen, slow: boolean, now: Now): void {
  const sample = m.settings.trials;
  if (slow) phase.slowCalls += 1;
  if (sample === undefined) {
    if (phase.failures > 0) open(m, now());
    else if (phase.successes >= m.settings.successThreshold) closeAfterOutage(m, now());
  } else if (phase.failures / sample.calls >= sample.failureRate || phase.slowCalls / sample.calls >= sample.slowCallRate) {
    open(m, now());
  } else if (phase.successes + phase.failures >= sample.calls) {
    closeAfterOutage(m, now());
  }
}

/** Frees the slot of a call whose outcome counts neither way (an error that is not expected). */
export function release(m: Machine, token: number): void {
  const phase = m.phase;
  if (phase.state === 'half-open') removeTrial(phase.trials, token);
}

/** Opens the circuit now, whatever its state, for the open period `recoveryTimeout` gives this opening. */
export function open(m: Machine, t: number): void {
  openFor(m, t, openPeriodFor(m, m.openings + 1));
}

/**
 * Opens the circuit now, whatever its state, for `period` ms (a positive finite number, decided
 * by the caller); the open time starts again. `local` marks an open a shared store must not share.
 */
export function openFor(m: Machine, t: number, period: number, local?: true): void {
  const from = m.phase.state;
  m.openings += 1;
  m.seen = t;
  m.phase = { state: 'open', openedAt: t, openPeriod: period, local };
  if (from !== 'open') m.onTransition(m.observer, from, 'open');
}

/**
 * Takes on an open period decided elsewhere: `elapsed` of its `period` ms have passed, and it is
 * the `openings`-th opening in a row. Durations, not instants, cross over, so a skewed local
 * clock neither stretches nor cuts the period.
 */
export function adoptOpen(m: Machine, t: number, elapsed: number, period: number, openings: number): void {
  const from = m.phase.state;
  m.openings = openings;
  m.seen = t;
  // A record is another clock's word: a negative or NaN elapsed would stretch the period, and a
  // period that is not a positive finite number would never end (or end at once, forever).
  const openPeriod = period > 0 && period < Infinity ? period : openPeriodFor(m, openings);
  m.phase = { state: 'open', openedAt: elapsed > 0 ? t - elapsed : t, openPeriod };
  if (from !== 'open') m.onTransition(m.observer, from, 'open');
}

/** Closes the circuit and resets its counts, its policy and its backoff. */
export function close(m: Machine): void {
  enter(m, { state: 'closed', token: ++m.lastToken });
}

/**
 * Closes the circuit at `t` at the end of an outage (its trials passed, or a shared store says
 * the fleet closed it), as {@link close} does, and starts a ramp when one is configured: a close
 * by hand lets every call through at once.
 */
export function closeAfterOutage(m: Machine, t: number): void {
  const ramp = m.settings.ramp;
  enter(m, { state: 'closed', token: ++m.lastToken, ramp: ramp && { ...ramp, startedAt: (m.seen = t), due: ramp.minShare } });
}

/** Holds the circuit open until every hold is released; calls get {@link CircuitIsolatedError}. */
export function isolate(m: Machine): void {
  if (m.phase.state === 'isolated') m.phase.holds += 1;
  else enterKeepingCounts(m, { state: 'isolated', holds: 1 });
}

/** Drops one hold; the last one lets trial calls decide, as after an open period. */
export function releaseHold(m: Machine): void {
  const phase = m.phase;
  if (phase.state !== 'isolated') return;
  phase.holds -= 1;
  if (phase.holds === 0) enterKeepingCounts(m, halfOpen(openPeriodFor(m, 1), 0));
}

/** The open period of the `openings`-th opening in a row, as this machine is configured. */
export function openPeriodFor(m: Machine, openings: number): number {
  const d = m.openPeriod;
  return typeof d === 'number' ? d : d(openings);
}

/** Lets every call through and counts nothing toward a state change, until {@link close}. */
export function disable(m: Machine): void {
  if (m.phase.state !== 'disabled') enter(m, { state: 'disabled', token: ++m.lastToken });
}

/** Enters `phase` afresh: the counts, the openings and the policy's window start over. */
function enter(m: Machine, phase: Phase): void {
  m.consecutiveFailures = 0;
  m.openings = 0;
  m.policy?.reset();
  enterKeepingCounts(m, phase);
}

/** Enters `phase` and keeps the counts: an isolation and its release change no count. */
function enterKeepingCounts(m: Machine, phase: Phase): void {
  const from = m.phase.state;
  // Even closed -> closed takes a new phase, and with it a new token: calls admitted before a
  // reset must not count after it. Only a real change of state is reported.
  m.phase = phase;
  if (from !== phase.state) m.onTransition(m.observer, from, phase.state);
}

/**
 * Milliseconds until a call may be admitted: 0 when one would be admitted now, Infinity while
 * isolated. While half-open with every slot taken, it is the time until the oldest trial's slot
 * lapses, the latest a slot can become free. While a ramp refuses calls, it is the time until the
 * growing share would admit one that came alone.
 */
export function retryAfter(m: Machine, t: number): number {
  const share = rampShare(m, t);
  const phase = m.phase;
  if (share !== undefined) {
    // Until the share alone earns what is due: past `minShare`, the share is the time gone.
    const ramp = (phase as Closed).ramp!;
    return share < ramp.due ? ramp.startedAt + ramp.duration * ramp.due - t : 0;
  }
  if (phase.state === 'isolated') return Infinity;
  // An open period that has passed reads as half-open with every slot free: nothing changes here.
  if (phase.state === 'open') return openExpired(phase, t) ? trialWait(m, t) : phase.openedAt + phase.openPeriod - t;
  if (phase.state !== 'half-open') return 0;
  if (hasTrialRoom(m, phase)) return trialWait(m, t);
  let oldest = Infinity;
  for (const trial of phase.trials) oldest = Math.min(oldest, trial.admittedAt);
  return Math.max(0, oldest + phase.trialLapse - t);
}

/** Moves an open circuit whose open period has passed to half-open: only a call does this. */
function refresh(m: Machine, t: number): void {
  noteClock(m, t);
  const phase = m.phase;
  if (phase.state !== 'open' || !openExpired(phase, t)) return;
  m.phase = halfOpen(phase.openPeriod, 0);
  m.onTransition(m.observer, 'open', 'half-open');
}

// Milliseconds until a free trial slot may be used: at once, unless a shared store must agree.
function trialWait(m: Machine, t: number): number {
  return m.trialGate === undefined ? 0 : m.trialGate.wait(t);
}

function openExpired(phase: { openedAt: number; readonly openPeriod: number }, t: number): boolean {
  return t - phase.openedAt >= phase.openPeriod;
}

/**
 * Takes a clock reading into account. Reads do this too: it changes no state, only how the time
 * already waited is measured, so a step back is handled the same whoever reads the clock first.
 */
function noteClock(m: Machine, t: number): void {
  const phase = m.phase;
  const back = m.seen - t;
  m.seen = t;
  // A step back (a clock set by hand, NTP, a VM restored) hides how much time passed since the
  // last reading: none is assumed, so the waits keep what they had left then, and no wait
  // outgrows its length by the size of the step.
  if (back > 0) {
    const ramp = (phase as Closed).ramp;
    if (phase.state === 'open') phase.openedAt -= back;
    else if (phase.state === 'half-open') for (const trial of phase.trials) trial.admittedAt -= back;
    else if (ramp) ramp.startedAt -= back;
  }
}

/** A half-open phase with no trial yet, `successes` already counted (a restored snapshot's). */
export function halfOpen(trialLapse: number, successes: number): Phase {
  return { state: 'half-open', trials: [], successes, failures: 0, slowCalls: 0, trialLapse };
}

function dropLapsedTrials(trials: Trial[], admittedNoLaterThan: number): void {
  for (let i = trials.length - 1; i >= 0; i--) {
    if (trials[i]!.admittedAt <= admittedNoLaterThan) trials.splice(i, 1);
  }
}

function removeTrial(trials: Trial[], token: number): boolean {
  const i = trials.findIndex((trial) => trial.token === token);
  if (i < 0) return false;
  trials.splice(i, 1);
  return true;
}
