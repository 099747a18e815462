import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { CircuitRegistry, isCircuitOpenError } from 'circuitry';
import { manualClock } from '../test-support/manual-clock.js';
import { startUpstream } from '../test-support/upstream.js';
import type { Upstream } from '../test-support/upstream.js';
import { guardDependencies } from './dependencies.js';
import { JobPool } from './job-pool.js';

let geo: Upstream;
let prices: Upstream;
before(async () => {
  geo = await startUpstream(() => ({ country: 'FR' }));
  prices = await startUpstream(() => ({ price: 42 }));
});
after(async () => {
  await geo.close();
  await prices.close();
});

async function getJson(url: string): Promise<unknown> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url} answered ${response.status}`);
  return response.json();
}

test('a dead dependency opens one circuit for the whole pool, which keeps serving the others', async () => {
  const registry = new CircuitRegistry();
  const clock = manualClock();
  const breakers = guardDependencies(['geo', 'prices'], { registry, clock });
  let openings = 0;
  registry.get('geo')!.on('open', () => (openings += 1));
  const pool = new JobPool(4, registry);

  geo.status = 503;
  const geoJobs: Promise<unknown>[] = [];
  const priceJobs: Promise<unknown>[] = [];
  for (let i = 0; i < 10; i++) {
    geoJobs.push(pool.run({ dependency: 'geo', run: () => getJson(`${geo.url}/ip/${i}`) }));
    priceJobs.push(pool.run({ dependency: 'prices', run: () => getJson(`${prices.url}/sku/${i}`) }));
  }
  const [geoResults, priceResults] = await Promise.all([Promise.allSettled(geoJobs), Promise.allSettled(priceJobs)]);

  assert.deepEqual(
    priceResults.map((r) => r.status),
    Array(10).fill('fulfilled'),
  );
  const refused = geoResults.filter((r) => r.status === 'rejected' && isCircuitOpenError(r.reason)).length;
  assert.equal(openings, 1);
  // 3 failures open it; at most 3 more were already on their way (4 slots).
  assert.ok(geo.requests >= 3 && geo.requests <= 6, `geo saw ${geo.requests} requests`);
  assert.equal(refused, 10 - geo.requests, 'every geo job that sent nothing was refused by the open circuit');
  assert.deepEqual(
    registry.open().map((b) => b.name),
    ['geo'],
  );

  clock.advance(10_000);
  geo.status = 200;
  assert.deepEqual(await pool.run({ dependency: 'geo', run: () => getJson(`${geo.url}/ip/1`) }), { country: 'FR' });
  assert.ok(registry.allClosed());
  assert.equal(breakers.length, 2); // held until here: the registry alone would not keep them
});

test('a job naming no registered circuit is refused before it takes a slot', async () => {
  const pool = new JobPool(1, new CircuitRegistry());
  await assert.rejects(pool.run({ dependency: 'nowhere', run: async () => 1 }), /no circuit is registered for "nowhere"/);
});
