// A reference model of the documented semantics, written as plainly as the README states them,
// with no tokens, no phase objects and nothing shared with src/: each call remembers the "era"
// (a number bumped on every change of state) it was admitted in.

export type Outcome = 'ok' | 'fail' | 'ignored';

export interface ModelSettings {
  failureThreshold: number;
  recoveryTimeout: number;
  halfOpenMaxCalls: number;
  successThreshold: number;
  /** How a closed circuit trips; undefined: failureThreshold failures in a row. */
  window?: { kind: 'count'; size: number; failureRate: number; minimumCalls: number } | { kind: 'time'; duration: number; failureRate: number; minimumCalls: number };
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

  readonly settings: ModelSettings;

  // A copy, so that configure() changing it leaves the generated settings a counterexample prints.
  constructor(settings: ModelSettings) {
    this.settings = { ...settings };
  }

  private change(state: Model['state']): void {
    this.state = state;
    this.era += 1;
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
    if (this.state === 'closed') call.admitted = true;
    if (this.state === 'half-open') {
      this.trials = this.trials.filter((t) => now - t.admittedAt < this.lapseAfter);
      if (this.trials.length < this.settings.halfOpenMaxCalls) {
        call.admitted = true;
        call.trial = true;
        this.trials.push(call);
      }
    }
    return call;
  }

  settle(call: ModelCall, outcome: Outcome, now: number): void {
    call.settled = true;
    if (!call.admitted) return;
    const isTrial = this.state === 'half-open' && this.trials.includes(call);
    if (outcome === 'ignored') {
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
    if (this.successes >= this.settings.successThreshold) this.close();
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
    this.openFor = Math.min(this.openFor, this.settings.recoveryTimeout);
    this.lapseAfter = Math.min(this.lapseAfter, this.settings.recoveryTimeout);
  }

  retryAfter(now: number): number {
    this.observe(now);
    if (this.state === 'open') return Math.max(0, this.openedAt + this.openFor - now);
    if (this.state === 'isolated') return Infinity;
    if (this.state !== 'half-open') return 0;
    const live = this.trials.filter((t) => now - t.admittedAt < this.lapseAfter);
    if (live.length < this.settings.halfOpenMaxCalls) return 0;
    return Math.max(0, Math.min(...live.map((t) => t.admittedAt)) + this.lapseAfter - now);
  }
}
