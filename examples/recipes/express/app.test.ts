import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { CircuitRegistry } from 'circuitry';
import { manualClock } from '../test-support/manual-clock.js';
import { startUpstream } from '../test-support/upstream.js';
import type { Upstream } from '../test-support/upstream.js';
import { createApp } from './app.js';

let inventory: Upstream;
before(async () => {
  inventory = await startUpstream((path) => ({ sku: path.split('/').pop(), available: 12 }));
});
after(() => inventory.close());

/** The app on a loopback port, with its own registry and a clock the test drives. */
async function serve(inventoryUrl = inventory.url) {
  const clock = manualClock();
  const { app, inventory: breaker } = createApp(inventoryUrl, { registry: new CircuitRegistry(), clock });
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const get = async (sku: string) => {
    const response = await fetch(`${base}/products/${sku}/stock`);
    return { status: response.status, degraded: response.headers.get('x-degraded'), retryAfter: response.headers.get('retry-after'), body: await response.json() };
  };
  const close = () => {
    server.closeAllConnections();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return { get, clock, breaker, close };
}

test('while inventory fails, stock seen before is served stale with x-degraded, and the circuit opens', async (t) => {
  const { get, breaker, close } = await serve();
  t.after(close);
  inventory.status = 200;
  assert.deepEqual(await get('A1'), { status: 200, degraded: null, retryAfter: null, body: { sku: 'A1', available: 12 } });

  inventory.status = 500;
  const stale = { status: 200, degraded: 'inventory', retryAfter: null, body: { sku: 'A1', available: 12 } };
  for (let i = 0; i < 3; i++) assert.deepEqual(await get('A1'), stale);
  assert.equal(breaker.state, 'open');
  const sent = inventory.requests;
  assert.deepEqual(await get('A1'), stale);
  assert.equal(inventory.requests, sent, 'the open circuit answered without asking inventory');
});

test('a SKU never seen gets 502 while inventory fails, 503 with Retry-After once the circuit is open, live stock after recovery', async (t) => {
  const { get, clock, breaker, close } = await serve();
  t.after(close);
  inventory.status = 503;
  for (let i = 0; i < 3; i++) assert.deepEqual(await get('B2'), { status: 502, degraded: null, retryAfter: null, body: { error: 'inventory answered 503' } });
  assert.deepEqual(await get('B2'), { status: 503, degraded: null, retryAfter: '15', body: { error: 'inventory is unavailable' } });

  clock.advance(14_001);
  assert.equal((await get('B2')).retryAfter, '1', 'rounded up: never "come back in 0 s" while still open');
  clock.advance(999);
  inventory.status = 200;
  assert.deepEqual(await get('B2'), { status: 200, degraded: null, retryAfter: null, body: { sku: 'B2', available: 12 } });
  assert.equal(breaker.state, 'closed');
});

test('an inventory nobody listens for is a 502 too, and counts as a failure', async (t) => {
  const gone = await startUpstream();
  await gone.close();
  const { get, breaker, close } = await serve(gone.url);
  t.after(close);
  assert.deepEqual(await get('C3'), { status: 502, degraded: null, retryAfter: null, body: { error: 'inventory is unreachable' } });
  assert.equal(breaker.consecutiveFailures, 1);
});
