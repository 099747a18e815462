// What a run measures and for how long. Every length can be set from the environment; the
// defaults are the full run (30 s outages, 5 runs), `--quick` a short one for development.
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const quick = process.argv.includes('--quick');
const env = process.env;
const ms = (name, full, short) => Number(env[name] ?? (quick ? short : full)) * 1_000;
const list = (value) => value?.split(',').map((s) => s.trim()).filter(Boolean);

export const scenarios = {
  down: { mode: 'down', text: 'connection refused' },
  hanging: { mode: 'hanging', text: 'accepts, never answers' },
  slow: { mode: 'slow', text: 'answers after 2 s' },
  flapping: { mode: 'flapping', text: 'half the answers are 500s' },
  fleet: { mode: 'hanging', processes: 3, text: 'three service processes, hanging upstream' },
  ceiling: { mode: 'healthy', text: 'healthy upstream, closed loop, saturation' },
};
const singleVariants = ['none', 'circuitry', 'opossum (defaults)', 'opossum (tuned)', 'cockatiel'];
export const variantsOf = (scenario) => (scenario === 'fleet' ? ['circuitry', 'circuitry+redis'] : singleVariants);

const runs = Number(env.OUTAGE_RUNS ?? (quick ? 1 : 5));
// OUTAGE_RUNS_BY=hanging=5,down=3: a number of runs per scenario, OUTAGE_RUNS for the others.
const runsBy = Object.fromEntries((list(env.OUTAGE_RUNS_BY) ?? []).map((pair) => pair.split('=')).map(([k, v]) => [k, Number(v)]));

export const config = {
  quick,
  rate: Number(env.OUTAGE_RATE ?? 200), // requests/s, open loop
  warm: ms('OUTAGE_WARM_S', 5, 2), // healthy, not measured: JIT and connection pools
  before: ms('OUTAGE_BEFORE_S', 15, 4), // healthy, measured
  outage: ms('OUTAGE_DURATION_S', 30, 8),
  after: ms('OUTAGE_AFTER_S', 20, 8), // healthy again
  deadline: Number(env.OUTAGE_DEADLINE_MS ?? 500),
  recovery: Number(env.OUTAGE_RECOVERY_MS ?? 5_000), // every library's open period
  ceiling: { seconds: Number(env.OUTAGE_CEILING_S ?? 3), concurrency: Number(env.OUTAGE_CEILING_CONNECTIONS ?? 32) },
  bucket: 500, // ms per point of the timeline charts
  scenarios: list(env.OUTAGE_SCENARIOS) ?? Object.keys(scenarios),
  runsOf: (scenario) => runsBy[scenario] ?? runs,
  out: env.OUTAGE_OUT ?? (quick ? join(tmpdir(), 'outage-results-quick.json') : 'results.json'),
};
