import { describe, expect, it } from 'vitest';
import { DEFAULTS, simulate } from '../helpers/fleet-simulation.js';
import type { CountRules } from '../helpers/sim-count.js';
import type { Rules } from '../helpers/sim-redis.js';

// The simulation has teeth: with each old rule of issue 15 brought back, it finds a failing
// schedule by itself within 1,000 seeds. The fixed rules are held to every seed by
// fleet-simulation.test.ts. Each search stops at its first failing seed, which it prints.
const WITHIN = 1000;
const found: Record<string, string> = {};

describe('the fleet simulation finds the old protocol bugs by itself', () => {
  const cases: [Rules, string][] = [
    ['old-1', 'a trip delivered late (after a hang longer than the period) re-opens a healthy fleet'],
    ['old-2', 'the store sends again at its timeout while the client keeps the request: more queued than the bound'],
    ['old-4', 'a record with times ahead of the clock makes refusals outlast the period plus the lease'],
    ['old-late', 'a change refused as late (its process\'s clock stepped back) is taken as published and lost'],
  ];
  // Counting bugs, in the simulated count script, found with the fleet judging.
  const counting: [CountRules, string][] = [
    ['count-carry-window', 'a close does not start the fleet window afresh: counts of the closed period before open the next'],
    ['count-no-guard', 'a flush replayed by the network is counted twice'],
  ];
  for (const [countRules, what] of counting) {
    it(`${countRules}: ${what}`, async () => {
      for (let seed = 1; seed <= WITHIN && found[countRules] === undefined; seed++) {
        const broken = await simulate(seed, { ...DEFAULTS, halfOpenMaxCalls: 1 + (seed % 2), judge: 'fleet', countRules });
        if (broken !== undefined) found[countRules] = `seed ${seed}: ${broken}`;
      }
      console.log(`${countRules}: ${found[countRules] ?? `nothing within ${WITHIN} seeds`}`);
      expect(found[countRules]).toBeDefined();
    }, 60_000);
  }
  for (const [rules, what] of cases) {
    it(`${rules}: ${what}`, async () => {
      for (let seed = 1; seed <= WITHIN && found[rules] === undefined; seed++) {
        const broken = await simulate(seed, { ...DEFAULTS, halfOpenMaxCalls: 1 + (seed % 2), rules });
        if (broken !== undefined) found[rules] = `seed ${seed}: ${broken}`;
      }
      console.log(`${rules}: ${found[rules] ?? `nothing within ${WITHIN} seeds`} (replay: CIRCUITRY_SIM_RULES=${rules} CIRCUITRY_SIM_SEED=<seed>)`);
      expect(found[rules]).toBeDefined();
    }, 60_000);
  }
});
