// Runs one case in this fresh process and prints its median time per call (ns) as JSON.
//
// The loop is ours, not a library's: a bare `await f()` here is exactly the loop every other
// case runs too, so ratios against it are ratios of what a caller pays.
import { cases } from './cases.mjs';

const name = process.argv[2];
const spec = cases[name];
if (!spec) throw new Error(`unknown case ${name}`);
const fn = await spec.setup();

let sink;
async function asyncBatch(n) {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) await fn();
  return Number(process.hrtime.bigint() - t0);
}
async function syncBatch(n) {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) sink = fn();
  return Number(process.hrtime.bigint() - t0);
}
const batch = spec.group === 'sync' ? syncBatch : asyncBatch;

// Warm up for about 300 ms, sizing batches to take about 20 ms each.
let n = 1000;
for (let spent = 0; spent < 300e6; ) {
  const t = await batch(n);
  spent += t;
  if (t < 20e6) n *= 2;
}
const samples = [];
for (let i = 0; i < 21; i++) samples.push((await batch(n)) / n);
samples.sort((a, b) => a - b);
if (sink === Symbol.for('never')) console.log(sink);
process.stdout.write(JSON.stringify({ name, ns: samples[10], min: samples[0], batch: n }) + '\n');
