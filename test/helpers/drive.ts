import { circuit } from 'circuitry';
import type { CircuitOptions } from 'circuitry';
import { manualClock } from './manual-clock.js';

/**
 * A guarded function whose every call succeeds or fails as the test says, taking as long as the
 * test says on the injected clock.
 */
export function driven(options: CircuitOptions<[outcome: 'ok' | 'fail', ms?: number], string> = {}) {
  const clock = manualClock();
  const guarded = circuit(
    async (outcome: 'ok' | 'fail', ms = 0) => {
      clock.advance(ms);
      if (outcome === 'fail') throw new Error('failed');
      return 'ok';
    },
    { clock, recoveryTimeout: 1000, ...options },
  );
  const run = async (...outcomes: ('ok' | 'fail')[]) => {
    for (const outcome of outcomes) await guarded(outcome).catch(() => undefined);
  };
  return { guarded, clock, breaker: guarded.breaker, run };
}
