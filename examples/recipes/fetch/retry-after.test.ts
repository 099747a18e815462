import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { CircuitOpenError, CircuitRegistry } from 'circuitry';
import { manualClock } from '../test-support/manual-clock.js';
import { startUpstream } from '../test-support/upstream.js';
import type { Upstream } from '../test-support/upstream.js';
import { retryAfterFetch, retryAfterMs } from './retry-after.js';

let upstream: Upstream;
before(async () => {
  upstream = await startUpstream();
});
after(() => upstream.close());

const answer = (retryAfter: string) => new Response(null, { status: 429, headers: { 'Retry-After': retryAfter } });

test('retryAfterMs reads seconds and HTTP dates, and nothing else', () => {
  const now = Date.parse('Wed, 21 Oct 2026 07:28:00 GMT');
  assert.equal(retryAfterMs(answer('120'), now), 120_000);
  assert.equal(retryAfterMs(answer(' 0 '), now), 0);
  assert.equal(retryAfterMs(answer('Wed, 21 Oct 2026 07:30:30 GMT'), now), 150_000);
  assert.equal(retryAfterMs(answer('Wed, 21 Oct 2026 07:00:00 GMT'), now), 0);
  assert.equal(retryAfterMs(answer('soon'), now), undefined);
  assert.equal(retryAfterMs(answer('-5'), now), undefined);
  assert.equal(retryAfterMs(new Response(null, { status: 429 }), now), undefined);
});

test('a 429 with Retry-After in seconds opens the circuit at once for that long, and no request leaves', async () => {
  const clock = manualClock();
  const get = retryAfterFetch({ name: 'quota-api', registry: new CircuitRegistry(), failureThreshold: 5, clock });
  upstream.status = 429;
  upstream.headers = { 'retry-after': '120' };
  assert.equal((await get(`${upstream.url}/items`)).status, 429);
  assert.equal(get.breaker.state, 'open');
  const sent = upstream.requests;
  await assert.rejects(get(`${upstream.url}/items`), (error: unknown) => error instanceof CircuitOpenError && error.retryAfter === 120_000);
  assert.equal(upstream.requests, sent);
  clock.advance(120_000);
  upstream.status = 200;
  assert.equal((await get(`${upstream.url}/items`)).status, 200);
  assert.equal(get.breaker.state, 'closed');
});

test('a 503 with Retry-After as an HTTP date opens until that date, as read on the breaker clock', async () => {
  const clock = manualClock(Date.parse('Wed, 21 Oct 2026 07:28:00 GMT'));
  const get = retryAfterFetch({ name: 'dated-api', registry: new CircuitRegistry(), clock });
  upstream.status = 503;
  upstream.headers = { 'retry-after': 'Wed, 21 Oct 2026 07:29:00 GMT' };
  await get(`${upstream.url}/items`);
  assert.equal(get.breaker.retryAfter, 60_000);
});

test('a hostile Retry-After is cut to maxOpenPeriod', async () => {
  const get = retryAfterFetch({ name: 'hostile-api', registry: new CircuitRegistry(), clock: manualClock(), maxOpenPeriod: 600_000 });
  upstream.status = 429;
  upstream.headers = { 'retry-after': '999999999' };
  await get(`${upstream.url}/items`);
  assert.equal(get.breaker.retryAfter, 600_000);
});

test('a 500 without Retry-After counts toward failureThreshold as usual', async () => {
  const get = retryAfterFetch({ name: 'plain-api', registry: new CircuitRegistry(), failureThreshold: 2, clock: manualClock() });
  upstream.status = 500;
  upstream.headers = {};
  await get(`${upstream.url}/items`);
  assert.equal(get.breaker.state, 'closed');
  await get(`${upstream.url}/items`);
  assert.equal(get.breaker.state, 'open');
});
