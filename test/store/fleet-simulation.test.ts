import { describe, expect, it } from 'vitest';
import { DEFAULTS, simulate } from '../helpers/fleet-simulation.js';
import type { Rules } from '../helpers/sim-redis.js';

// Deterministic simulation of the fleet protocol: every schedule is a seed, and a failing one
// prints the seed that replays it (CIRCUITRY_SIM_SEED=<seed>).
const runs = Number(process.env.CIRCUITRY_MODEL_RUNS ?? 0) > 0 ? Number(process.env.CIRCUITRY_MODEL_RUNS) : 1000;
const only = process.env.CIRCUITRY_SIM_SEED;
// With CIRCUITRY_SIM_RULES=old-N, a seed found by fleet-simulation-teeth.test.ts replays under that old rule.
const rules = (process.env.CIRCUITRY_SIM_RULES ?? 'fixed') as Rules;
// CIRCUITRY_SIM_PUSH=0: the processes only poll, as before push (a backend without it).
const push = process.env.CIRCUITRY_SIM_PUSH !== '0';

describe('fleet protocol under a hostile network, simulated', () => {
  it(
    `keeps its promises over ${only ?? runs} schedules: trials per open, refusals bounded by the period, convergence, every call counted once`,
    async () => {
      const seeds = only !== undefined ? [Number(only)] : Array.from({ length: runs }, (_, i) => 1 + i);
      for (const seed of seeds) {
        const broken = await simulate(seed, { ...DEFAULTS, halfOpenMaxCalls: 1 + (seed % 2), rules, push });
        expect(broken === undefined ? 'ok' : `seed ${seed}: ${broken} (replay: CIRCUITRY_SIM_SEED=${seed})`).toBe('ok');
      }
    },
    // Scaled with the number of schedules, so a deep run is not cut by the default 5 s.
    10_000 + 20 * (only !== undefined ? 1 : runs),
  );

  // A known defect, found by a deep run with push (CIRCUITRY_MODEL_RUNS=15000): the lease holder's
  // close, then its probe, are lost for good (no answer, no error); with one probe per store and
  // nothing else sent while the store is away, that store never speaks again, its lease lapses,
  // and a second process runs a trial under the same generation. The poll-only path has the same
  // code; push schedules reach it. Replacing a probe given up on (waits doubling) fixed this seed
  // but kept seed 3586 from converging after the faults, so it is not in yet. When it is fixed this
  // test fails: make it an \`it\`, and drop CIRCUITRY_SIM_PUSH=0 from package.json's test:deep.
  it.fails('keeps its promises over schedule 9488 with push (known defect: a probe lost for good)', async () => {
    const broken = await simulate(9488, { ...DEFAULTS, halfOpenMaxCalls: 1, rules: 'fixed', push: true });
    expect(broken ?? 'ok').toBe('ok');
  });
});

