// Random walks of a clock that steps back as often as it moves on, against the README's rule:
// no wait exceeds its configured length because the clock went backwards.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { circuit } from 'circuitry';
import { deferred, flush, manualClock } from '../helpers/manual-clock.js';

const RUNS = Number(process.env.CIRCUITRY_MODEL_RUNS ?? 150) * 2;
// A walk takes well under a millisecond; 5 ms each keeps a loaded machine inside the limit.
const LIMIT = Math.max(5_000, RUNS * 5);
const RECOVERY = 1000;

type Step = { kind: 'forward' | 'back'; ms: number } | { kind: 'fail' | 'ok' | 'hang' };

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ kind: fc.constant('forward' as const), ms: fc.integer({ min: 1, max: 1500 }) }),
  fc.record({ kind: fc.constant('back' as const), ms: fc.integer({ min: 1, max: 3_600_000 }) }),
  fc.record({ kind: fc.constantFrom('fail' as const, 'ok' as const, 'hang' as const) }),
);

describe('a clock that steps back', () => {
  it(`never makes an open or a hung trial's slot outlast recoveryTimeout of real time (${RUNS} walks)`, async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 3 }), fc.array(stepArb, { maxLength: 40 }), async (halfOpenMaxCalls, steps) => {
        const clock = manualClock();
        // Real time, as the walk lets it pass: forward moves only, a backwards step takes none.
        // The breaker is read after every step, so no real time hides between a step and a reading.
        let real = 0;
        let openedAt = 0;
        const hung: { admittedAt: number; settled: boolean }[] = [];
        let outcome: 'ok' | 'fail' | 'hang' = 'ok';
        const guarded = circuit(
          async () => {
            if (outcome === 'hang') {
              const call = { admittedAt: real, settled: false };
              hung.push(call);
              await deferred().promise;
            }
            if (outcome === 'fail') throw new Error('failed');
          },
          { clock, failureThreshold: 1, recoveryTimeout: RECOVERY, halfOpenMaxCalls, registry: false, onOpen: () => (openedAt = real) },
        );
        const breaker = guarded.breaker;
        for (const step of steps) {
          if (step.kind === 'forward') {
            clock.advance(step.ms);
            real += step.ms;
          } else if (step.kind === 'back') {
            clock.advance(-step.ms);
          } else {
            outcome = step.kind;
            void guarded().catch(() => undefined);
            await flush();
          }
          const wait = breaker.retryAfter;
          expect(wait).toBeGreaterThanOrEqual(0);
          expect(wait).toBeLessThanOrEqual(RECOVERY);
          const state = breaker.state;
          if (state === 'open') expect(real - openedAt).toBeLessThan(RECOVERY);
          if (state === 'half-open') {
            // Trials admitted in this half-open period that nobody settled: once each is
            // RECOVERY old in real time, its slot must be free again.
            const live = hung.filter((c) => !c.settled && c.admittedAt >= openedAt + RECOVERY && real - c.admittedAt < RECOVERY);
            if (live.length < halfOpenMaxCalls) expect(wait).toBe(0);
          }
        }
      }),
      { numRuns: RUNS, seed: Number(process.env.CIRCUITRY_MODEL_SEED ?? 20261126) },
    );
  }, LIMIT);
});
