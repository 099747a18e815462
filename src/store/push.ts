/**
 * The store's subscription to a backend's pushed hints, and whether it can be trusted: a
 * subscriber can die silently (a half-open connection, a NAT that dropped it, a Redis that cut
 * it off behind its output buffer limit), so the store sends itself a canary through the backend
 * every {@link CANARY_INTERVAL} ms and expects it back within {@link CANARY_TIMEOUT} ms. Until a
 * canary comes back, and from the moment one does not, the store polls; the subscription is made
 * anew by itself, after a jittered, growing pause. A transport concern only: what a record means
 * is the record rules'.
 */
import type { PushListener, SharedStatePush } from './shared-record.js';
import type { Timers } from './transport.js';

/** Milliseconds between two canaries while the subscription is trusted. */
export const CANARY_INTERVAL = 1000;
/** Milliseconds a canary (or a subscription request) may take before the subscription is given up. */
export const CANARY_TIMEOUT = 1000;
/** The longest pause before subscribing again, in milliseconds. */
const MAX_PAUSE = 30_000;

/** Where the subscription stands; `attempt` numbers the subscriptions made, so a stale one's messages are ignored. */
export type PushState =
  /** Subscribing, or subscribed and waiting for the first canary: not trusted yet. */
  | { readonly state: 'checking'; readonly attempt: number; readonly failures: number }
  /** A canary came back: hints are trusted and the store resyncs only now and then. */
  | { readonly state: 'trusted'; readonly attempt: number }
  /** Given up after `failures` failed attempts in a row: subscribing again after a pause. */
  | { readonly state: 'lost'; readonly attempt: number; readonly failures: number }
  | { readonly state: 'closed'; readonly attempt: number };

/** The subscription failed (a canary or a subscription request late, or refused). */
export function pushFailed(s: PushState): PushState {
  if (s.state === 'closed' || s.state === 'lost') return s;
  return { state: 'lost', attempt: s.attempt, failures: s.state === 'checking' ? s.failures + 1 : 1 };
}

/** A canary of the current attempt came back. */
export function canaryBack(s: PushState): PushState {
  return s.state === 'checking' ? { state: 'trusted', attempt: s.attempt } : s;
}

/** How long to wait before subscribing again after `failures` failures in a row: jittered, so a fleet that lost Redis together does not come back together. */
export function pauseBefore(failures: number, random: number): number {
  const base = Math.min(MAX_PAUSE, CANARY_INTERVAL * 2 ** Math.max(0, failures - 1));
  return Math.round(base * (0.5 + random));
}

export interface PushWatch {
  /** Whether hints are trusted now (a canary came back, none since is overdue). */
  readonly trusted: boolean;
  close(): void;
}

export function watchPush(
  push: SharedStatePush,
  timers: Timers,
  random: () => number,
  events: { hint(name: string, generation: number | undefined): void; trusted(): void; lost(): void },
): PushWatch {
  let state: PushState = { state: 'checking', attempt: 0, failures: 0 };
  let outstanding: string | undefined;
  let canaryTimer: unknown;
  let pauseTimer: unknown;
  const id = Math.floor(random() * 2 ** 48).toString(36);
  let sent = 0;
  /**
   * A canary's publish not yet answered: no other is sent meanwhile, so a backend that hangs has
   * at most one canary queued, however many attempts time out.
   */
  let publishing = false;
  /** The attempt whose subscription request was answered: canaries before it could not come back. */
  let subscribed = -1;

  const move = (next: PushState): void => {
    const before = state;
    state = next;
    if (before.state !== 'trusted' && next.state === 'trusted') events.trusted();
    if (before.state === 'trusted' && next.state !== 'trusted') events.lost();
  };

  const fail = (attempt: number): void => {
    if (attempt !== state.attempt || state.state === 'lost' || state.state === 'closed') return;
    const next = pushFailed(state);
    move(next);
    outstanding = undefined;
    if (canaryTimer !== undefined) timers.clearTimeout(canaryTimer);
    canaryTimer = undefined;
    try {
      push.unsubscribe();
    } catch {
      // A connection already gone cannot be ended twice; the next attempt makes a new one.
    }
    const failures = next.state === 'lost' ? next.failures : 1;
    pauseTimer = timers.setTimeout(subscribe, pauseBefore(failures, random()));
  };

  const sendCanary = (attempt: number): void => {
    if (attempt !== state.attempt || subscribed !== attempt || state.state === 'lost' || state.state === 'closed' || outstanding !== undefined) return;
    const token = `${id}.${++sent}`;
    outstanding = token;
    canaryTimer = timers.setTimeout(() => {
      canaryTimer = undefined;
      if (outstanding === token) fail(attempt);
    }, CANARY_TIMEOUT);
    // The one before still queued: this canary cannot come back in time, and none is added.
    if (publishing) return;
    publishing = true;
    let published: Promise<void>;
    try {
      published = Promise.resolve(push.canary(token));
    } catch (error) {
      published = Promise.reject(error);
    }
    published.then(
      () => void (publishing = false),
      () => {
        publishing = false;
        fail(attempt);
      },
    );
  };

  const subscribe = (): void => {
    if (state.state === 'closed') return;
    const attempt = state.attempt + 1;
    const failures = state.state === 'lost' || state.state === 'checking' ? state.failures : 0;
    state = { state: 'checking', attempt, failures };
    const listener: PushListener = {
      hint(name, generation) {
        if (attempt === state.attempt && state.state !== 'closed') events.hint(name, generation);
      },
      canary(token) {
        if (attempt !== state.attempt || token !== outstanding) return;
        outstanding = undefined;
        if (canaryTimer !== undefined) timers.clearTimeout(canaryTimer);
        canaryTimer = undefined;
        move(canaryBack(state));
      },
      dropped: () => fail(attempt),
    };
    // A subscription request that never answers is one more silent failure.
    const deadline = timers.setTimeout(() => fail(attempt), CANARY_TIMEOUT);
    let subscribing: Promise<void>;
    try {
      subscribing = Promise.resolve(push.subscribe(listener));
    } catch (error) {
      subscribing = Promise.reject(error);
    }
    subscribing.then(
      () => {
        timers.clearTimeout(deadline);
        subscribed = attempt;
        sendCanary(attempt);
      },
      () => {
        timers.clearTimeout(deadline);
        fail(attempt);
      },
    );
  };

  const ticker = timers.setInterval(() => sendCanary(state.attempt), CANARY_INTERVAL);
  subscribe();

  return {
    get trusted() {
      return state.state === 'trusted';
    },
    close() {
      state = { state: 'closed', attempt: state.attempt + 1 };
      timers.clearInterval(ticker);
      if (canaryTimer !== undefined) timers.clearTimeout(canaryTimer);
      if (pauseTimer !== undefined) timers.clearTimeout(pauseTimer);
      try {
        push.unsubscribe();
      } catch {
        // Already gone.
      }
    },
  };
}
