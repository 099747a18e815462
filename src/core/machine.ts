/**
 * The circuit state machine: plain data and synchronous functions of time.
 *
 * It knows nothing of promises, decorators, listeners or clocks. Time is passed in as a reader
 * that is only called when a decision needs it, so the closed-state success path never reads it.
 * Every admitted call gets a token; an outcome whose token no longer belongs to the current state
 * is dropped, so a late result can never flip a state it was not admitted under (gobreaker's
 * generation idea).
 */

/** The three states a circuit can be in. */
export type CircuitState = 'closed' | 'open' | 'half-open';

/** The numbers that drive the state machine, already validated. */
export interface MachineSettings {
  readonly failureThreshold: number;
  readonly recoveryTimeout: number;
  readonly halfOpenMaxCalls: number;
  readonly successThreshold: number;
}

interface Trial {
  readonly token: number;
  readonly admittedAt: number;
}

/** Each state carries only the data it needs. */
export type Phase =
  | { readonly state: 'closed'; readonly token: number }
  | { readonly state: 'open'; readonly openedAt: number }
  | { readonly state: 'half-open'; readonly trials: Trial[]; successes: number };

export interface Machine {
  readonly settings: MachineSettings;
  phase: Phase;
  /** Consecutive counted failures; a success or a close resets it. */
  failures: number;
  /** Tokens only ever grow, so one that was handed out is never handed out again. */
  lastToken: number;
  /** Called after every real change of state, with the phase already in place. */
  readonly onTransition: (from: CircuitState, to: CircuitState) => void;
}

/** What {@link admit} returns for a call that must not run. Tokens are never negative. */
export const REJECTED = -1;

export type Now = () => number;

export function createMachine(
  settings: MachineSettings,
  onTransition: (from: CircuitState, to: CircuitState) => void,
): Machine {
  return { settings, phase: { state: 'closed', token: 0 }, failures: 0, lastToken: 0, onTransition };
}

/** The state as of `now()`: an open circuit whose recovery timeout has passed becomes half-open. */
export function currentState(m: Machine, now: Now): CircuitState {
  if (m.phase.state === 'open') refresh(m, now());
  return m.phase.state;
}

/** Asks to run a call. Returns its token, or {@link REJECTED}. */
export function admit(m: Machine, now: Now): number {
  const phase = m.phase;
  if (phase.state === 'closed') return phase.token;
  return admitWhileNotClosed(m, now());
}

function admitWhileNotClosed(m: Machine, t: number): number {
  refresh(m, t);
  const phase = m.phase;
  if (phase.state === 'closed') return phase.token;
  if (phase.state === 'open') return REJECTED;
  dropLapsedTrials(phase.trials, t - m.settings.recoveryTimeout);
  if (phase.trials.length >= m.settings.halfOpenMaxCalls) return REJECTED;
  const token = ++m.lastToken;
  phase.trials.push({ token, admittedAt: t });
  return token;
}

/** Records a success of the call admitted with `token`. */
export function recordSuccess(m: Machine, token: number): void {
  const phase = m.phase;
  if (phase.state === 'closed') {
    if (token === phase.token) m.failures = 0;
    return;
  }
  if (phase.state === 'half-open' && removeTrial(phase.trials, token)) {
    m.failures = 0;
    phase.successes += 1;
    if (phase.successes >= m.settings.successThreshold) close(m);
  }
}

/** Records a counted failure of the call admitted with `token`. */
export function recordFailure(m: Machine, token: number, now: Now): void {
  const phase = m.phase;
  if (phase.state === 'closed') {
    if (token !== phase.token) return;
    m.failures += 1;
    if (m.failures >= m.settings.failureThreshold) open(m, now());
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

/** Opens the circuit now, whatever its state; the recovery timeout starts again. */
export function open(m: Machine, t: number): void {
  const from = m.phase.state;
  m.phase = { state: 'open', openedAt: t };
  if (from !== 'open') m.onTransition(from, 'open');
}

/** Closes the circuit and resets its count. */
export function close(m: Machine): void {
  const from = m.phase.state;
  m.failures = 0;
  if (from === 'closed') return;
  m.phase = { state: 'closed', token: ++m.lastToken };
  m.onTransition(from, 'closed');
}

/**
 * Milliseconds until a call may be admitted again: 0 when one would be admitted now. While
 * half-open with every slot taken, it is the time until the oldest trial's slot lapses, the latest
 * a slot can become free.
 */
export function retryAfter(m: Machine, t: number): number {
  refresh(m, t);
  const phase = m.phase;
  const timeout = m.settings.recoveryTimeout;
  if (phase.state === 'open') return Math.max(0, phase.openedAt + timeout - t);
  if (phase.state === 'closed' || phase.trials.length < m.settings.halfOpenMaxCalls) return 0;
  let oldest = Infinity;
  for (const trial of phase.trials) oldest = Math.min(oldest, trial.admittedAt);
  return Math.max(0, oldest + timeout - t);
}

function refresh(m: Machine, t: number): void {
  const phase = m.phase;
  if (phase.state !== 'open' || t - phase.openedAt < m.settings.recoveryTimeout) return;
  m.phase = { state: 'half-open', trials: [], successes: 0 };
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
