import type { Clock } from 'circuitry';

/** A clock that only moves when the test says so. */
export interface ManualClock extends Clock {
  advance(ms: number): void;
  set(ms: number): void;
  readonly reads: number;
}

export function manualClock(start = 1_000_000): ManualClock {
  let t = start;
  let reads = 0;
  return {
    now: () => {
      reads += 1;
      return t;
    },
    advance: (ms) => {
      t += ms;
    },
    set: (ms) => {
      t = ms;
    },
    get reads() {
      return reads;
    },
  };
}

/** A promise with its resolve and reject handles, for calls that settle when the test says. */
export function deferred<T = unknown>(): { promise: Promise<T>; resolve: (v: T) => void; reject: (e: unknown) => void } {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Lets every queued promise reaction run. */
export async function flush(): Promise<void> {
  for (let i = 0; i < 5; i++) await Promise.resolve();
}
