/**
 * The circuit state machine: plain data and synchronous functions of time.
 *
 * It knows nothing of promises, decorators, listeners or clocks. Time is passed in as a reader
 * that is only called when a decision needs it, so the closed-state success path never reads it.
 * Every admitted call gets a token; an outcome whose token no longer belongs to the current state
 * is dropped, so a late result can never flip a state it was not admitted under (gobreaker's
 * generation idea).
 */
import type { TripPolicy } from '../policies/trip-policy.js';

/**
 * The states a circuit can be in. `'isolated'` is held open by hand until released;
 * `'disabled'` lets every call through and never changes state by itself.
 */
export type CircuitState = 'closed' | 'open' | 'half-open' | 'isolated' | 'disabled';

/** The numbers that drive the state machine, already validated. */
export interface MachineSettings {
  readonly failureThreshold: number;
  /** How long the circuit stays open, given how many times in a row it has opened (1, 2, ...). */
  readonly openDuration: (openings: number) => number;
  readonly halfOpenMaxCalls: number;
  readonly successThreshold: number;
  /** Undefined for the default policy: `failureThreshold` consecutive failures, counted inline. */
  readonly policy: TripPolicy | undefined;
}

interface Trial {
  readonly token: number;
  readonly admittedAt: number;
}

/** Each state carries only the data it needs. */
export type Phase =
  | { readonly state: 'closed'; readonly token: number }
  | { readonly state: 'open'; readonly openedAt: number; readonly openFor: number }
  | { readonly state: 'half-open'; readonly trials: Trial[]; successes: number; readonly lapseAfter: number }
  | { readonly state: 'isolated'; holds: number }
  | { readonly state: 'disabled'; readonly token: number };

export interface Machine {
  settings: MachineSettings;
  phase: Phase;
  /** Consecutive counted failures; a success or a close resets it. */
  failures: number;
  /** Openings since the circuit was last closed: 1 for a first trip, 2 after a failed trial, ... */
  openings: number;
  /** Tokens only ever grow, so one that was handed out is never handed out again. */
  lastToken: number;
  /** Called after every real change of state, with the phase already in place. */
  readonly onTransition: (from: CircuitState, to: CircuitState) => void;
}

/** What {@link admit} returns for a call that must not run. Tokens are never negative. */
export const REJECTED = -1;

export type Now = () => number;

export function createMachine(settings: MachineSettings, onTransition: (from: CircuitState, to: CircuitState) => void): Machine {
  return { settings, phase: { state: 'closed', token: 0 }, failures: 0, openings: 0, lastToken: 0, onTransition };
}

/** The state as of `now()`: an open circuit whose open time has passed becomes half-open. */
export function currentState(m: Machine, now: Now): CircuitState {
  if (m.phase.state === 'open') refresh(m, now());
  return m.phase.state;
}

/** Asks to run a call. Returns its token, or {@link REJECTED}. */
export function admit(m: Machine, now: Now): number {
  const phase = m.phase;
  if (phase.state === 'closed') return phase.token;
  return admitWhileNotClosed(m, now);
}

function admitWhileNotClosed(m: Machine, now: Now): number {
  if (m.phase.state === 'disabled') return m.phase.token;
  if (m.phase.state === 'isolated') return REJECTED;
  const t = now();
  refresh(m, t);
  const phase = m.phase;
  if (phase.state !== 'half-open') return phase.state === 'closed' ? phase.token : REJECTED;
  dropLapsedTrials(phase.trials, t - phase.lapseAfter);
  if (phase.trials.length >= m.settings.halfOpenMaxCalls) return REJECTED;
  const token = ++m.lastToken;
  phase.trials.push({ token, admittedAt: t });
  return token;
}

/** Records a success of the call admitted with `token`; `slow` when it took `slowCallDuration`. */
export function recordSuccess(m: Machine, token: number, slow: boolean, now: Now): void {
  const phase = m.phase;
  if (phase.state === 'closed') {
    if (token !== phase.token) return;
    m.failures = 0;
    if (m.settings.policy?.onSuccess(slow, now)) open(m, now());
    return;
  }
  if (phase.state === 'half-open' && removeTrial(phase.trials, token)) {
    m.failures = 0;
    phase.successes += 1;
    if (phase.successes >= m.settings.successThreshold) close(m);
  }
}

/** Records a counted failure of the call admitted with `token`. */
export function recordFailure(m: Machine, token: number, slow: boolean, now: Now): void {
  const phase = m.phase;
  if (phase.state === 'closed') {
    if (token !== phase.token) return;
    m.failures += 1;
    const policy = m.settings.policy;
    if (policy === undefined ? m.failures >= m.settings.failureThreshold : policy.onFailure(slow, now)) open(m, now());
    return;
  }
  if (phase.state === 'half-open' && removeTrial(phase.trials, token)) {
    m.failures += 1;
    open(m, now());
  }
}

/** Frees the slot of a call whose outcome counts neither way (an error that is not expected). */
export function release(m: Machine, token: number): void {
  const phase = m.phase;
  if (phase.state === 'half-open') removeTrial(phase.trials, token);
}

/** Opens the circuit now, whatever its state; the open time starts again. */
export function open(m: Machine, t: number): void {
  const from = m.phase.state;
  m.openings += 1;
  m.phase = { state: 'open', openedAt: t, openFor: m.settings.openDuration(m.openings) };
  if (from !== 'open') m.onTransition(from, 'open');
}

/** Closes the circuit and resets its counts, its policy and its backoff. */
export function close(m: Machine): void {
  enter(m, { state: 'closed', token: ++m.lastToken });
}

/** Holds the circuit open until every hold is released; calls get {@link CircuitIsolatedError}. */
export function isolate(m: Machine): void {
  if (m.phase.state === 'isolated') m.phase.holds += 1;
  else enter(m, { state: 'isolated', holds: 1 }, false);
}

/** Drops one hold; the last one lets trial calls decide, as after an open period. */
export function releaseHold(m: Machine): void {
  const phase = m.phase;
  if (phase.state !== 'isolated') return;
  phase.holds -= 1;
  if (phase.holds === 0) enter(m, { state: 'half-open', trials: [], successes: 0, lapseAfter: m.settings.openDuration(1) }, false);
}

/** Lets every call through and counts nothing toward a state change, until {@link close}. */
export function disable(m: Machine): void {
  if (m.phase.state !== 'disabled') enter(m, { state: 'disabled', token: ++m.lastToken });
}

function enter(m: Machine, phase: Phase, fresh = true): void {
  const from = m.phase.state;
  if (fresh) {
    m.failures = 0;
    m.openings = 0;
    m.settings.policy?.reset();
  }
  if (from === phase.state && from === 'closed') return;
  m.phase = phase;
  if (from !== phase.state) m.onTransition(from, phase.state);
}

/**
 * Milliseconds until a call may be admitted: 0 when one would be admitted now, Infinity while
 * isolated. While half-open with every slot taken, it is the time until the oldest trial's slot
 * lapses, the latest a slot can become free.
 */
export function retryAfter(m: Machine, t: number): number {
  refresh(m, t);
  const phase = m.phase;
  if (phase.state === 'open') return Math.max(0, phase.openedAt + phase.openFor - t);
  if (phase.state === 'isolated') return Infinity;
  if (phase.state !== 'half-open' || phase.trials.length < m.settings.halfOpenMaxCalls) return 0;
  let oldest = Infinity;
  for (const trial of phase.trials) oldest = Math.min(oldest, trial.admittedAt);
  return Math.max(0, oldest + phase.lapseAfter - t);
}

function refresh(m: Machine, t: number): void {
  const phase = m.phase;
  if (phase.state !== 'open' || t - phase.openedAt < phase.openFor) return;
  m.phase = { state: 'half-open', trials: [], successes: 0, lapseAfter: phase.openFor };
  m.onTransition('open', 'half-open');
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
