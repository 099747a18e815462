// A reference model of the documented semantics, written as plainly as the README states them,
// with no tokens, no phase objects and nothing shared with src/: each call remembers the "era"
// (a number bumped on every change of state) it was admitted in.

/** `aborted`: the caller's signal aborted and the function stopped because of it. */
export type Outcome = 'ok' | 'fail' | 'ignored' | 'aborted';

export interface ModelSettings {
  failureThreshold: number;
  recoveryTimeout: number;
  halfOpenMaxCalls: number;
  successThreshold: number;
  /** How a closed circuit trips; undefined: failureThreshold failures in a row. */
  window?: { kind: 'count'; size: number; failureRate: number; minimumCalls: number } | { kind: 'time'; duration: number; failureRate: number; minimumCalls: number };
  /** The `ramp` option; undefined: none. */
  ramp?: { duration: number; minShare: number } | undefined;
}

export interface ModelCall {
  admitted: boolean;
  era: number;
  trial: boolean;
  admittedAt: number;
  settled: boolean;
}

export class Model {
  state: 'closed' | 'open' | 'half-open' | 'isolated' = 'closed';
  failures = 0;
  era = 0;
  openedAt = 0;
  /** The open time fixed when the circuit opened, and the trial lapse that follows from it. */
  openFor = 0;
  lapseAfter = 0;
  trials: ModelCall[] = [];
  successes = 0;
  holds = 0;
  isolation = 0;
  /** Closed-state outcomes since the circuit last closed: [time, failed]. */
  outcomes: [number, boolean][] = [];
  /** Every call lands in exactly one of these, as `stats()` counts them. */
  counts = { successes: 0, failures: 0, ignored: 0, aborted: 0, rejections: 0 };
  /** Real changes of state, as `stateChange` events tell them. */
  changes = 0;
  /**
   * While closed after trials passed, with a ramp: when it began, the settings it began with,
   * and the share the calls must still earn before the next one runs.
   */
  ramp: { startedAt: number; duration: number; minShare: number; due: number } | undefined;

  readonly settings: ModelSettings;

  // A copy, so that configure() changing it leaves the generated settings a counterexample prints.
  constructor(settings: ModelSettings) {
    this.settings = { ...settings };
  }

  private change(state: Model['state']): void {
    if (state !== this.state) this.changes += 1;
    this.state = state;
    this.era += 1;
    this.ramp = undefined;
  }

  /** The share of calls a ramp admits now: from minShare up with the time gone; undefined once over. */
  rampShare(now: number): number | undefined {
    const r = this.ramp;
    if (r === undefined || now - r.startedAt >= r.duration) return undefined;
    return Math.max(r.minShare, (now - r.startedAt) / r.duration);
  }

  /** What a read says: an open period that has passed reads half-open, and nothing changes. */
  effectiveState(now: number): Model['state'] {
    return this.state === 'open' && now - this.openedAt >= this.openFor ? 'half-open' : this.state;
  }

  /** A call whose caller's signal aborted before it came: not run, not admitted, no state looked at. */
  abortedBeforeRun(): void {
    this.counts.aborted += 1;
  }

  observe(now: number): void {
    if (this.state === 'open' && now - this.openedAt >= this.openFor) {
      this.change('half-open');
      this.trials = [];
      this.successes = 0;
      this.lapseAfter = this.openFor;
    }
  }

  admit(now: number): ModelCall {
    this.observe(now);
    const call: ModelCall = { admitted: false, era: this.era, trial: false, admittedAt: now, settled: false };
    if (this.state === 'closed') {
      const share = this.rampShare(now);
      if (share === undefined) call.admitted = true;
      else {
        // Each call earns the share of the moment; one runs once nothing is due, and 1 is due again.
        // (The breaker lets a call run within 1e-9 of nothing due, for shares like 0.1.)
        this.ramp!.due -= share;
        if (this.ramp!.due <= 1e-9) {
          call.admitted = true;
          this.ramp!.due += 1;
        }
      }
    }
    if (this.state === 'half-open') {
      this.trials = this.trials.filter((t) => now - t.admittedAt < this.lapseAfter);
      if (this.trials.length < this.settings.halfOpenMaxCalls) {
        call.admitted = true;
        call.trial = true;
        this.trials.push(call);
      }
    }
    if (!call.admitted) this.counts.rejections += 1;
    return call;
  }

  settle(call: ModelCall, outcome: Outcome, now: number): void {
    call.settled = true;
    if (!call.admitted) return;
    this.counts[outcome === 'ok' ? 'successes' : outcome === 'fail' ? 'failures' : outcome]+= 1;
    const isTrial = this.state === 'half-open' && this.trials.includes(call);
    if (outcome === 'ignored' || outcome === 'aborted') {
      if (isTrial) this.trials = this.trials.filter((t) => t !== call);
      return;
    }
    if (this.state === 'closed' && call.era === this.era && !call.trial) {
      if (outcome === 'ok') this.failures = 0;
      else this.failures += 1;
      if (this.trips(now, outcome === 'fail')) this.open(now);
      return;
    }
    if (!isTrial) return;
    this.trials = this.trials.filter((t) => t !== call);
    if (outcome === 'fail') {
      this.failures += 1;
      this.open(now);
      return;
    }
    this.failures = 0;
    this.successes += 1;
    if (this.successes >= this.settings.successThreshold) {
      this.close();
      // Only trials that pass start a ramp; a close by hand lets every call through.
      const ramp = this.settings.ramp;
      if (ramp !== undefined) this.ramp = { startedAt: now, ...ramp, due: ramp.minShare };
    }
  }

  private trips(now: number, failed: boolean): boolean {
    const w = this.settings.window;
    if (w === undefined) return failed && this.failures >= this.settings.failureThreshold;
    this.outcomes.push([now, failed]);
    const inWindow = w.kind === 'count' ? this.outcomes.slice(-w.size) : this.outcomes.filter(([t]) => t > now - w.duration);
    const bad = inWindow.filter(([, f]) => f).length;
    return inWindow.length >= w.minimumCalls && bad / inWindow.length >= w.failureRate;
  }

  open(now: number): void {
    this.change('open');
    this.openedAt = now;
    this.openFor = this.settings.recoveryTimeout;
  }

  close(): void {
    this.failures = 0;
    this.outcomes = [];
    this.change('closed'); // a fresh era even when already closed: earlier calls no longer count
  }

  isolate(): number {
    if (this.state === 'isolated') this.holds += 1;
    else {
      this.change('isolated');
      this.holds = 1;
      this.isolation += 1;
    }
    return this.isolation;
  }

  release(isolation: number): void {
    if (this.state !== 'isolated' || isolation !== this.isolation) return;
    this.holds -= 1;
    if (this.holds === 0) {
      this.change('half-open');
      this.trials = [];
      this.successes = 0;
      this.lapseAfter = this.settings.recoveryTimeout;
    }
  }

  /**
   * What a breaker restored from this one's snapshot would be: the same state and counts, no
   * trials in flight, and nothing from before (calls and holds belong to the old breaker). A
   * snapshot may come from an untrusted file, so the restoring breaker trusts no open period or
   * trial lapse longer than its own recoveryTimeout: one given before configure() shortened it
   * is cut too, although the breaker that gave it keeps it.
   */
  restored(): void {
    this.era += 1;
    this.isolation += 1;
    this.trials = [];
    if (this.state === 'isolated') this.holds = 0;
    if (this.state === 'open') this.openFor = Math.min(this.openFor, this.settings.recoveryTimeout);
    if (this.state === 'half-open') this.lapseAfter = Math.min(this.lapseAfter, this.settings.recoveryTimeout);
    this.counts = { successes: 0, failures: 0, ignored: 0, aborted: 0, rejections: 0 };
    this.changes = 0;
    // A ramp is not part of a snapshot.
    this.ramp = undefined;
  }

  /** Reads, and changes nothing: an open period that has passed is half-open with every slot free. */
  retryAfter(now: number): number {
    const share = this.rampShare(now);
    // A call coming alone runs once the share of its moment covers what is due.
    if (share !== undefined) return share < this.ramp!.due ? this.ramp!.startedAt + this.ramp!.duration * this.ramp!.due - now : 0;
    if (this.state === 'open') return Math.max(0, this.openedAt + this.openFor - now);
    if (this.state === 'isolated') return Infinity;
    if (this.state !== 'half-open') return 0;
    const live = this.trials.filter((t) => now - t.admittedAt < this.lapseAfter);
    if (live.length < this.settings.halfOpenMaxCalls) return 0;
    return Math.max(0, Math.min(...live.map((t) => t.admittedAt)) + this.lapseAfter - now);
  }
}
