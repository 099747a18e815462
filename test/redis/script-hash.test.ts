import { createHash } from 'node:crypto';
import { CircuitBreaker, countWindow } from 'circuitry';
import { redisStore } from 'circuitry/redis';
import { expect, it, vi } from 'vitest';
import { COUNT_SCRIPT } from '../../src/adapters/redis/count-script.js';
import { READ_MANY_SCRIPT, RECORD_SCRIPT } from '../../src/adapters/redis/record-script.js';

// circuitry/redis carries its script's SHA1 as a constant, so that it needs no Node built-in at
// load. A stale constant would still work, through a NOSCRIPT and a full EVAL on every call:
// only this test would notice. After changing the script, put the SHA1 it prints in src/adapters/redis/redis-store.ts.
it('runs its script by the SHA1 of the script text, as EVAL registers it', async () => {
  const sent: string[][] = [];
  const client = {
    call: async (...args: string[]) => {
      sent.push(args);
      return ['none', 0, 0, 0, 0, 0, 0];
    },
  };
  const store = redisStore(client, { syncInterval: 60_000 });
  new CircuitBreaker({ name: 'hashed', registry: false, store });
  await store.sync();
  store.close();
  expect(sent.length).toBeGreaterThan(0);
  expect(sent.map(([command, sha]) => `${command} ${sha}`)).toContain(`EVALSHA ${createHash('sha1').update(RECORD_SCRIPT).digest('hex')}`);
  expect(sent.map(([command]) => command)).not.toContain('EVAL');
});

const COUNT_SHA_OF_TEXT = createHash('sha1').update(COUNT_SCRIPT).digest('hex');

it('runs its count script (judge: fleet) by the SHA1 of the script text', async () => {
  const sent: string[][] = [];
  const client = {
    call: async (...args: string[]) => {
      sent.push(args);
      if (args[1] === COUNT_SHA_OF_TEXT) return [Date.now(), 'ok', 'counted', 0, 0, 0, 0];
      return ['none', 0, 0, 0, 0, 0, 0, Date.now()];
    },
  };
  const clock = { now: () => 0 };
  const store = redisStore(client, { syncInterval: 60_000, judge: 'fleet', countInterval: 10, subscriber: false });
  const breaker = new CircuitBreaker({ name: 'counted', registry: false, store, clock, policy: countWindow({ size: 10 }) });
  await store.sync();
  await breaker.execute(() => 'ok');
  await vi.waitFor(() => expect(sent.map(([command, sha]) => `${command} ${sha}`)).toContain(`EVALSHA ${COUNT_SHA_OF_TEXT}`));
  store.close();
  expect(sent.map(([command]) => command)).not.toContain('EVAL');
});

it('runs its batched read by the SHA1 of that script text', async () => {
  const sent: string[][] = [];
  const client = {
    call: async (...args: string[]) => {
      sent.push(args);
      return args[2] === '2' ? [1, 'none', 0, 0, 0, 0, 'none', 0, 0, 0, 0] : ['none', 0, 0, 0, 0, 0, 0, 1];
    },
  };
  const store = redisStore(client, { syncInterval: 60_000, subscriber: false });
  for (const name of ['one', 'two']) new CircuitBreaker({ name, registry: false, store });
  await store.sync();
  store.close();
  expect(sent.map(([command, sha]) => `${command} ${sha}`)).toContain(`EVALSHA ${createHash('sha1').update(READ_MANY_SCRIPT).digest('hex')}`);
  expect(sent.map(([command]) => command)).not.toContain('EVAL');
});
