// Prints the heap bytes one breaker costs, for the library named in argv: 100,000 of them are
// made and kept, and the heap is measured after full collections. Run with --expose-gc.
import { createRequire } from 'node:module';

const COUNT = 100_000;
const lib = process.argv[2];
const require = createRequire(import.meta.url);
const action = async () => 1;

const makers = {
  circuitry: async () => {
    const { CircuitBreaker } = await import('../dist/index.js');
    return () => new CircuitBreaker();
  },
  opossum: async () => {
    const CircuitBreaker = require('opossum');
    // Opossum's rolling window keeps an interval per breaker; it is stopped on shutdown below.
    return () => new CircuitBreaker(action);
  },
  cockatiel: async () => {
    const { circuitBreaker, handleAll, ConsecutiveBreaker } = await import('cockatiel');
    return () => circuitBreaker(handleAll, { halfOpenAfter: 30_000, breaker: new ConsecutiveBreaker(5) });
  },
};

const make = await makers[lib]();
make(); // load lazily-initialised module state before the baseline
const settle = () => {
  for (let i = 0; i < 4; i++) globalThis.gc();
  return process.memoryUsage().heapUsed;
};
const before = settle();
const kept = new Array(COUNT);
for (let i = 0; i < COUNT; i++) kept[i] = make();
const after = settle();
process.stdout.write(JSON.stringify({ lib, bytesPerBreaker: (after - before) / COUNT, count: kept.length }) + '\n');
for (const breaker of kept) breaker.shutdown?.();
process.exit(0);
