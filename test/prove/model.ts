// A reference model of the documented semantics, written as plainly as the README states them,
// with no tokens, no phase objects and nothing shared with src/: each call remembers the "era"
// (a number bumped on every change of state) it was admitted in.

/**
 * `aborted`: the caller's signal aborted and the function stopped because of it. A
 * {@link Throttled} is a counted failure that says how long to stay away.
 */
export type Outcome = 'ok' | 'fail' | 'ignored' | 'aborted' | Throttled;

/** A failure carrying the dependency's word on how long to stay away (a 429's `Retry-After`), as `openPeriodOf` reads it. */
export interface Throttled {
  /** Milliseconds, unbounded and possibly nonsense (NaN), or undefined: no period given. */
  readonly retryAfter: number | undefined;
}

/** How `stats()` counts an outcome: a throttled call is a failure like any other. */
function countedAs(outcome: Outcome): 'successes' | 'failures' | 'ignored' | 'aborted' {
  if (typeof outcome === 'object' || outcome === 'fail') return 'failures';
  return outcome === 'ok' ? 'successes' : outcome;
}

export interface ModelSettings {
  failureThreshold: number;
  recoveryTimeout: number;
  /** Undefined: the default, 1, or with `trials` the whole sample at once. */
  halfOpenMaxCalls?: number | undefined;
  /** Undefined: the default, 1; always undefined with `trials`, which replaces it. */
  successThreshold?: number | undefined;
  /** How a closed circuit trips; undefined: failureThreshold failures in a row. */
  window?: Window | undefined;
  /** A call that took this long or longer is slow (for a window's and a sample's slowCallRate). */
  slowCallDuration?: number | undefined;
  /** Trials judged as a sample by their rates, instead of one by one. */
  trials?: { calls: number; failureRate: number; slowCallRate?: number | undefined } | undefined;
  /** `openPeriodOf` reads a {@link Throttled}'s period, kept within these bounds; undefined: no `openPeriodOf`. */
  openPeriods?: { min: number; max: number } | undefined;
  /** Refuses nothing: a call it would reject runs, with an outcome that never moves the state. */
  shadow?: boolean | undefined;
  /** After a close from half-open, admit a share of calls growing from minShare to all over duration ms. */
  ramp?: { duration: number; minShare: number } | undefined;
}

type Window = { failureRate: number; slowCallRate?: number | undefined; minimumCalls: number } & ({ kind: 'count'; size: number } | { kind: 'time'; duration: number });

export interface ModelCall {
  /** The function runs: admitted, or let through by a shadow breaker. */
  admitted: boolean;
  era: number;
  trial: boolean;
  /** A would-be rejection a shadow breaker let through: its outcome is counted, never judged. */
  shadowed: boolean;
  admittedAt: number;
  settled: boolean;
}

export class Model {
  state: 'closed' | 'open' | 'half-open' | 'isolated' = 'closed';
  failures = 0;
  era = 0;
  openedAt = 0;
  /** The open time fixed when the circuit opened, and the trial lapse that follows from it. */
  openPeriod = 0;
  lapseAfter = 0;
  trials: ModelCall[] = [];
  successes = 0;
  /** A sample's counted trial failures and slow trials, this half-open period. */
  sampleFailures = 0;
  slowTrials = 0;
  holds = 0;
  isolation = 0;
  /** Closed-state outcomes since the circuit last closed: [time, failed, slow]. */
  outcomes: [number, boolean, boolean][] = [];
  /** Every call lands in exactly one of these, as `stats()` counts them. */
  counts = { successes: 0, failures: 0, ignored: 0, aborted: 0, rejections: 0 };
  /** Calls a shadow breaker let through that it would have rejected. */
  wouldReject = 0;
  /** Periods `openPeriodOf` gave that were not numbers: each is reported, and the failure counts as any other. */
  reports = 0;
  /** Real changes of state, as `stateChange` events tell them. */
  changes = 0;
  /**
   * While closed after a close from half-open, with a ramp: when it began, the settings it began
   * with, and the share the calls must still earn before the next one runs.
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
    return this.state === 'open' && now - this.openedAt >= this.openPeriod ? 'half-open' : this.state;
  }

  /** A call whose caller's signal aborted before it came: not run, not admitted, no state looked at. */
  abortedBeforeRun(): void {
    this.counts.aborted += 1;
  }

  observe(now: number): void {
    if (this.state === 'open' && now - this.openedAt >= this.openPeriod) this.halfOpen(this.openPeriod);
  }

  private halfOpen(lapseAfter: number): void {
    this.change('half-open');
    this.trials = [];
    this.successes = 0;
    this.sampleFailures = 0;
    this.slowTrials = 0;
    this.lapseAfter = lapseAfter;
  }

  /** Trials at once: `halfOpenMaxCalls`, by default 1, or a whole sample. */
  private get maxTrials(): number {
    return this.settings.halfOpenMaxCalls ?? this.settings.trials?.calls ?? 1;
  }

  /** A free trial slot, and with a sample, a place in it: trials in flight and judged ones fill it. */
  private hasTrialRoom(live: ModelCall[]): boolean {
    const sample = this.settings.trials;
    return live.length < this.maxTrials && (sample === undefined || live.length + this.successes + this.sampleFailures < sample.calls);
  }

  admit(now: number): ModelCall {
    this.observe(now);
    const call: ModelCall = { admitted: false, era: this.era, trial: false, shadowed: false, admittedAt: now, settled: false };
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
      if (this.hasTrialRoom(this.trials)) {
        call.admitted = true;
        call.trial = true;
        this.trials.push(call);
      }
    }
    if (!call.admitted && this.settings.shadow) {
      // Let through as a late call is: counted when it ends, judged never.
      call.admitted = true;
      call.shadowed = true;
      this.wouldReject += 1;
    } else if (!call.admitted) this.counts.rejections += 1;
    return call;
  }

  settle(call: ModelCall, outcome: Outcome, now: number): void {
    call.settled = true;
    if (!call.admitted) return;
    this.counts[countedAs(outcome)] += 1;
    const isTrial = this.state === 'half-open' && this.trials.includes(call);
    if (outcome === 'ignored' || outcome === 'aborted') {
      if (isTrial) this.trials = this.trials.filter((t) => t !== call);
      return;
    }
    const failed = outcome !== 'ok';
    const slow = this.settings.slowCallDuration !== undefined && now - call.admittedAt >= this.settings.slowCallDuration;
    const current = (this.state === 'closed' && call.era === this.era && !call.trial && !call.shadowed) || isTrial;
    if (!current) return;
    if (isTrial) this.trials = this.trials.filter((t) => t !== call);
    const period = failed ? this.periodOf(outcome) : undefined;
    if (period !== undefined) {
      // The dependency said how long: open at once, whatever the counts or the sample say.
      this.failures += 1;
      this.openFor(now, period);
      return;
    }
    if (this.state === 'closed') {
      if (failed) this.failures += 1;
      else this.failures = 0;
      if (this.trips(now, failed, slow)) this.open(now);
      return;
    }
    if (failed) {
      this.failures += 1;
      this.sampleFailures += 1;
    } else {
      this.failures = 0;
      this.successes += 1;
    }
    if (slow) this.slowTrials += 1;
    this.judgeTrial(now, failed ? 'failure' : 'success');
  }

  /** The open period `openPeriodOf` reads from a counted failure, bounded; undefined: it counts as any other. */
  private periodOf(outcome: Outcome): number | undefined {
    const bounds = this.settings.openPeriods;
    if (bounds === undefined || typeof outcome !== 'object' || outcome.retryAfter === undefined) return undefined;
    if (Number.isNaN(outcome.retryAfter)) {
      this.reports += 1;
      return undefined;
    }
    return Math.min(Math.max(outcome.retryAfter, bounds.min), bounds.max);
  }

  // One by one, a counted failure re-opens and successThreshold successes close.
  private judgeTrial(now: number, outcome: 'success' | 'failure'): void {
    const sample = this.settings.trials;
    if (sample !== undefined) this.judgeSample(now, sample);
    else if (outcome === 'failure') this.open(now);
    else if (this.successes >= (this.settings.successThreshold ?? 1)) this.closeAfterTrials(now);
  }

  // A sample re-opens once its failures or slow trials reach their rate of the whole sample, and
  // closes once every one of its trials is judged below both.
  private judgeSample(now: number, sample: NonNullable<ModelSettings['trials']>): void {
    if (this.sampleFailures / sample.calls >= sample.failureRate || this.slowTrials / sample.calls >= (sample.slowCallRate ?? 1)) this.open(now);
    else if (this.successes + this.sampleFailures >= sample.calls) this.closeAfterTrials(now);
  }

  private trips(now: number, failed: boolean, slow: boolean): boolean {
    const w = this.settings.window;
    if (w === undefined) return failed && this.failures >= this.settings.failureThreshold;
    this.outcomes.push([now, failed, slow]);
    const inWindow = w.kind === 'count' ? this.outcomes.slice(-w.size) : this.outcomes.filter(([t]) => t > now - w.duration);
    const bad = inWindow.filter(([, f]) => f).length;
    const slowCalls = inWindow.filter(([, , s]) => s).length;
    return inWindow.length >= w.minimumCalls && (bad / inWindow.length >= w.failureRate || slowCalls / inWindow.length >= (w.slowCallRate ?? 1));
  }

  /** Opens for the period recoveryTimeout gives. */
  open(now: number): void {
    this.openFor(now, this.settings.recoveryTimeout);
  }

  /** Opens for `period` ms, exactly: `open({ for })`, or what `openPeriodOf` read. */
  openFor(now: number, period: number): void {
    this.change('open');
    this.openedAt = now;
    this.openPeriod = period;
  }

  close(): void {
    this.failures = 0;
    this.outcomes = [];
    this.change('closed'); // a fresh era even when already closed: earlier calls no longer count
  }

  /** A close from half-open: trials passed (judged by a call, configure or a restore). It starts a ramp; a close by hand does not. */
  private closeAfterTrials(now: number): void {
    this.close();
    const ramp = this.settings.ramp;
    if (ramp !== undefined) this.ramp = { startedAt: now, ...ramp, due: ramp.minShare };
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
    if (this.holds === 0) this.halfOpen(this.settings.recoveryTimeout);
  }

  /**
   * `configure(changes)`: the new settings apply from the next call, and judge the trials of a
   * half-open circuit so far at once (a sample made smaller than the trials it has judged is
   * complete; a failure a sample counted re-opens once trials are judged one by one).
   */
  configure(changes: Partial<ModelSettings>, now: number): void {
    Object.assign(this.settings, changes);
    this.judgeTrialsSoFar(now);
  }

  private judgeTrialsSoFar(now: number): void {
    if (this.state !== 'half-open') return;
    const sample = this.settings.trials;
    if (sample !== undefined) this.judgeSample(now, sample);
    else if (this.sampleFailures > 0) this.open(now);
    else if (this.successes >= (this.settings.successThreshold ?? 1)) this.closeAfterTrials(now);
  }

  /**
   * What a breaker restored from this one's snapshot would be: the same state and counts, no
   * trials in flight, and nothing from before (calls and holds belong to the old breaker). A
   * snapshot may come from an untrusted file, so the restoring breaker trusts no open period or
   * trial lapse longer than its own recoveryTimeout (or maxOpenPeriod, with openPeriodOf): one
   * given before configure() shortened it is cut too, although the breaker that gave it keeps it.
   * A half-open circuit keeps its trial successes, not a sample's failures and slow trials, and
   * they are judged at once by the restoring breaker's settings.
   */
  restored(now: number): void {
    // A ramp is not part of a snapshot; a close the restoring breaker judges at once starts its own.
    this.ramp = undefined;
    this.era += 1;
    this.isolation += 1;
    this.trials = [];
    const longest = Math.max(this.settings.recoveryTimeout, this.settings.openPeriods?.max ?? 0);
    if (this.state === 'isolated') this.holds = 0;
    if (this.state === 'open') this.openPeriod = Math.min(this.openPeriod, longest);
    if (this.state === 'half-open') {
      this.lapseAfter = Math.min(this.lapseAfter, longest);
      this.sampleFailures = 0;
      this.slowTrials = 0;
    }
    this.judgeTrialsSoFar(now);
    // A new breaker: its counts start at zero, and a change made while restoring is heard by no one.
    this.counts = { successes: 0, failures: 0, ignored: 0, aborted: 0, rejections: 0 };
    this.wouldReject = 0;
    this.changes = 0;
  }

  /** Reads, and changes nothing: an open period that has passed is half-open with every slot free. */
  retryAfter(now: number): number {
    const share = this.rampShare(now);
    // A call coming alone runs once the share of its moment covers what is due.
    if (share !== undefined) return share < this.ramp!.due ? this.ramp!.startedAt + this.ramp!.duration * this.ramp!.due - now : 0;
    if (this.state === 'open') return Math.max(0, this.openedAt + this.openPeriod - now);
    if (this.state === 'isolated') return Infinity;
    if (this.state !== 'half-open') return 0;
    const live = this.trials.filter((t) => now - t.admittedAt < this.lapseAfter);
    if (this.hasTrialRoom(live)) return 0;
    return Math.max(0, Math.min(...live.map((t) => t.admittedAt)) + this.lapseAfter - now);
  }
}
