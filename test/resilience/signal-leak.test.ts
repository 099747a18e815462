import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { callSignal, retry, timeout } from 'circuitry';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const heapAfterGc = () => {
  for (let i = 0; i < 4; i++) gc();
  return process.memoryUsage().heapUsed;
};

/** Heap growth over `calls` calls of `make()`'s function, after a warm-up. */
async function growth(make: () => () => Promise<unknown>, calls: number): Promise<number> {
  const call = make();
  for (let i = 0; i < 1000; i++) await call();
  const before = heapAfterGc();
  for (let i = 0; i < calls; i++) await call();
  return heapAfterGc() - before;
}

describe('signals do not pile up on long-lived parents', () => {
  const work = timeout(async () => callSignal().aborted, 60_000);

  it('retry(timeout(f)) without a signal keeps the heap flat', async () => {
    // Linking every call's signal to one module-wide signal grew the heap ~50 MB per million calls.
    expect(await growth(() => retry(work), 50_000)).toBeLessThan(1_000_000);
  });

  it('retry with a long-lived signal around timeout keeps the heap flat', async () => {
    const shutdown = new AbortController();
    expect(await growth(() => retry(work, { signal: shutdown.signal }), 50_000)).toBeLessThan(1_000_000);
  });
});
