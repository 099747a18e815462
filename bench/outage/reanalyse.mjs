// Figures again from the raw records a run kept (OUTAGE_RAW=dir), without running again:
// `node reanalyse.mjs <raw dir> <results.json>` rewrites the results' figures in place.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { analyse, analyseCeiling } from './analyse.mjs';

const [dir, file] = process.argv.slice(2);
const saved = JSON.parse(readFileSync(resolve(file), 'utf8'));
const { warm, recovery, bucket } = saved.config;
// File names end in the run's sequence number; the n-th file of a pair is its run n.
const raws = readdirSync(dir)
  .map((name) => ({ name, sequence: Number(name.match(/-(\d+)\.json$/)[1]) }))
  .sort((a, b) => a.sequence - b.sequence)
  .map(({ name }) => JSON.parse(readFileSync(join(dir, name), 'utf8')));
const seen = {};
saved.results = raws.map(({ scenario, variant, load, upstream, services, start, end }) => {
  const run = (seen[`${scenario}/${variant}`] = (seen[`${scenario}/${variant}`] ?? 0) + 1);
  const figures = scenario === 'ceiling' ? analyseCeiling({ load, start, end }) : analyse({ load, upstream, services, start, end, warm, recovery, bucket });
  return { scenario, variant, run, ...figures };
});
// A run stopped early leaves fewer runs of some scenarios than planned: say how many there are.
saved.config.runsPerScenario = {};
for (const r of saved.results) saved.config.runsPerScenario[r.scenario] = Math.max(saved.config.runsPerScenario[r.scenario] ?? 0, r.run);
writeFileSync(resolve(file), JSON.stringify(saved, null, 1) + '\n');
process.stderr.write(`${saved.results.length} runs analysed again into ${file}\n`);
