/** A source of time in milliseconds. Inject one to drive a breaker from tests. */
export interface Clock {
  /** The current time in milliseconds; only differences between readings matter. */
  now(): number;
}

/** The wall clock, `Date.now()`. */
export const systemClock: Clock = { now: () => Date.now() };
