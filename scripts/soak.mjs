// `npm run soak`: ten million calls with random outcomes and clock jumps through breakers of every
// policy. It fails unless every breaker's counters add up exactly and the heap stays flat.
import { CircuitBreaker, circuitSync, countWindow, timeWindow } from '../dist/index.js';

const CALLS = Number(process.argv[2] ?? 10_000_000);
const seed = Number(process.argv[3] ?? 20261125);
let state = seed >>> 0;
const random = () => {
  // mulberry32: a small seeded generator, so a failing run can be repeated exactly.
  state = (state + 0x6d2b79f5) >>> 0;
  let t = state;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};

class Ignored extends Error {}
const failure = new Error('counted');
const ignored = new Ignored('ignored');
let now = 0;
const clock = { now: () => now };
const common = { clock, registry: false, expectedError: (e) => !(e instanceof Ignored), recoveryTimeout: 50 };
const breakers = [
  new CircuitBreaker({ ...common, name: 'consecutive', failureThreshold: 3 }),
  new CircuitBreaker({ ...common, name: 'count', policy: countWindow({ size: 100, failureRate: 0.3, minimumCalls: 20 }), halfOpenMaxCalls: 2 }),
  new CircuitBreaker({ ...common, name: 'time', policy: timeWindow({ duration: 1000, failureRate: 0.3, minimumCalls: 20 }), successThreshold: 2 }),
];
let outcome = 0;
const guarded = breakers.map((breaker, i) =>
  circuitSync(
    () => {
      if (outcome === 1) throw failure;
      if (outcome === 2) throw ignored;
      return 1;
    },
    i === 0 ? { breaker, fallback: () => 0 } : breaker,
  ),
);
const attempted = breakers.map(() => 0);

const heap = () => {
  for (let i = 0; i < 4; i++) globalThis.gc();
  return process.memoryUsage().heapUsed;
};
const run = (n) => {
  for (let i = 0; i < n; i++) {
    const r = random();
    outcome = r < 0.8 ? 0 : r < 0.95 ? 1 : 2;
    if (r > 0.9995) now += Math.floor(random() * 5000); // now and then a long jump
    else now += 1;
    const b = i % 3;
    attempted[b] += 1;
    try {
      guarded[b]();
    } catch {
      // counted failures, ignored errors and refusals all land here; the counters say which
    }
  }
};

const warm = Math.min(1_000_000, CALLS / 10);
run(warm);
const heapStart = heap();
const t0 = process.hrtime.bigint();
run(CALLS - warm);
const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
const heapEnd = heap();

let ok = true;
for (const [i, breaker] of breakers.entries()) {
  const s = breaker.stats();
  const sum = s.successes + s.failures + s.rejections + s.ignored;
  const line = `${breaker.name.padEnd(12)} calls ${attempted[i]}, successes ${s.successes}, failures ${s.failures}, rejections ${s.rejections}, ignored ${s.ignored}, fallbacks ${s.fallbacks}, state ${s.state}`;
  console.log(sum === attempted[i] ? line : `${line}  <-- counters add up to ${sum}`);
  if (sum !== attempted[i] || s.rejections === 0 || s.failures === 0) ok = false;
}
const growth = heapEnd - heapStart;
console.log(`seed ${seed}: ${CALLS.toLocaleString('en')} calls in ${seconds.toFixed(1)} s; heap after GC ${(heapStart / 2 ** 20).toFixed(2)} MiB -> ${(heapEnd / 2 ** 20).toFixed(2)} MiB (${growth >= 0 ? '+' : ''}${(growth / 1024).toFixed(1)} KiB)`);
if (growth > 512 * 1024) {
  console.log('heap grew by more than 512 KiB');
  ok = false;
}
console.log(ok ? 'soak: 1 passed, 0 failed' : 'soak: 0 passed, 1 failed');
process.exit(ok ? 0 : 1);
