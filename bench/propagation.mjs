// How long an open decided by one process takes to reach another through Redis: two stores with
// their own connections (two processes, as far as Redis can tell), one breaker each, the same
// name. Prints JSON: the delays in ms, for one syncInterval.
import { CircuitBreaker, circuit } from '../dist/index.js';
import { redisStore } from '../dist/redis.js';
import { Redis } from 'ioredis';

const syncInterval = Number(process.argv[2]);
const runs = Number(process.argv[3] ?? 20);
const delays = [];
for (let run = 0; run < runs; run++) {
  const clients = [new Redis(process.env.CIRCUITRY_BENCH_REDIS), new Redis(process.env.CIRCUITRY_BENCH_REDIS)];
  const stores = clients.map((client) => redisStore(client, { prefix: `propagation:${process.pid}:${run}:`, syncInterval }));
  const [a, b] = stores.map((store) => new CircuitBreaker({ name: 'dep', registry: false, failureThreshold: 1, recoveryTimeout: 60_000, store }));
  await Promise.all(stores.map((s) => s.sync()));
  // Start at a random point of the sync cycle, as a real failure would.
  await new Promise((r) => setTimeout(r, Math.random() * syncInterval));
  const seen = new Promise((resolve) => b.on('open', () => resolve(performance.now())));
  const openedAt = performance.now();
  await circuit(async () => Promise.reject(new Error('down')), a)().catch(() => {});
  delays.push((await seen) - openedAt);
  stores.forEach((s) => s.close());
  clients.forEach((c) => c.disconnect());
}
delays.sort((x, y) => x - y);
process.stdout.write(JSON.stringify({ syncInterval, median: delays[delays.length >> 1], max: delays.at(-1), runs }) + '\n', () => process.exit(0));
