import type { Clock } from 'circuitry';

/** A clock that moves only when the test says so: recovery timeouts pass without waiting. */
export interface ManualClock extends Clock {
  advance(ms: number): void;
}

export function manualClock(start = 1_000_000): ManualClock {
  let now = start;
  return {
    now: () => now,
    advance: (ms) => {
      now += ms;
    },
  };
}
