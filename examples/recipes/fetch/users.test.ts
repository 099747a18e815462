import assert from 'node:assert/strict';
import { after, before, mock, test } from 'node:test';
import { CircuitRegistry } from 'circuitry';
import { manualClock } from '../test-support/manual-clock.js';
import { startUpstream } from '../test-support/upstream.js';
import type { Upstream } from '../test-support/upstream.js';
import { usersClient } from './users.js';

let upstream: Upstream;
before(async () => {
  upstream = await startUpstream((path) => ({ id: path.split('/').pop(), name: 'Ada' }));
});
after(() => upstream.close());

// Each test has its own registry, so each may name its breaker 'users-api' as the recipe does.
const client = (clock = manualClock()) => usersClient(upstream.url, { registry: new CircuitRegistry(), failureThreshold: 3, recoveryTimeout: 10_000, clock });

test('a 5xx reaches the caller and counts; the third opens the circuit and later calls send nothing', async () => {
  const users = client();
  upstream.status = 503;
  for (let i = 0; i < 3; i++) assert.deepEqual(await users.find('7'), { unavailable: 'users-api answered 503', retryAfterMs: 0 });
  assert.equal(users.breaker.state, 'open');

  const sent = upstream.requests;
  assert.deepEqual(await users.find('7'), { unavailable: 'users-api is down', retryAfterMs: 10_000 });
  assert.equal(upstream.requests, sent);
});

test('once recoveryTimeout has passed, one trial request closes the circuit again', async () => {
  const clock = manualClock();
  const users = client(clock);
  upstream.status = 500;
  for (let i = 0; i < 3; i++) await users.find('7');
  upstream.status = 200;
  clock.advance(9_999);
  assert.equal(users.breaker.state, 'open');
  clock.advance(1);
  assert.deepEqual(await users.find('7'), { user: { id: '7', name: 'Ada' } });
  assert.equal(users.breaker.state, 'closed');
});

test('a request slower than the timeout is aborted, rejects with TimeoutError and counts as a failure', async (t) => {
  const users = client();
  upstream.status = 200;
  upstream.hang = true;
  t.after(() => (upstream.hang = false));
  // Fake timers: the 2 s deadline passes when the test says, not on the wall clock.
  mock.timers.enable({ apis: ['setTimeout'] });
  t.after(() => mock.timers.reset());

  const arrived = upstream.nextRequest();
  const lookup = users.find('7');
  const request = await arrived;
  mock.timers.tick(2_000);
  await assert.rejects(lookup, { name: 'TimeoutError' });
  await request.closed; // the upstream saw the request go away: fetch was really aborted
  assert.equal(users.breaker.stats().timeouts, 1);
  assert.equal(users.breaker.consecutiveFailures, 1);
});
