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

// Warm up for about 300 ms, sizing batches to take about 20 ms each. Then up to 21 timed
// batches, within about 3 s: a case whose cost grows with every call (opossum's failure path
// re-sorts every latency it keeps) must still finish.
let n = 1;
for (let spent = 0; spent < 300e6; ) {
  const t = await batch(n);
  spent += t;
  if (t < 20e6) n *= 2;
}
const samples = [];
for (let spent = 0; samples.length < 21 && spent < 3e9; ) {
  const t = await batch(n);
  spent += t;
  samples.push(t / n);
}
samples.sort((a, b) => a - b);
if (sink === Symbol.for('never')) console.log(sink);
const ns = samples[(samples.length - 1) >> 1];
// Exit once the line is out: a case may hold a connection open (the Redis store's client).
process.stdout.write(JSON.stringify({ name, ns, min: samples[0], batch: n, batches: samples.length }) + '\n', () => process.exit(0));
