import { it } from 'vitest';
import { DEFAULTS, simulate } from '/work/wt-countsim/test/helpers/fleet-simulation.js';
it('trace', async () => {
  const seed = Number(process.env.SEED);
  const lines: string[] = [];
  const broken = await simulate(seed, { ...DEFAULTS, halfOpenMaxCalls: 1 + (seed % 2), judge: 'fleet' }, (l) => lines.push(l));
  console.log(broken);
  const key = process.env.GREP ?? '';
  console.log(lines.filter((l) => new RegExp(key).test(l)).slice(0, 40).join('\n'));
}, 600_000);
