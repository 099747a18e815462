// Bun only: redisStore with Bun's built-in RedisClient against a real redis-server
// (CIRCUITRY_REDIS_URL): an open published through one store reaches a breaker on another, the
// script survives Redis forgetting it (EVALSHA, NOSCRIPT, then EVAL), and a close is shared too.
import { RedisClient } from 'bun';
import { CircuitBreaker, circuit } from 'circuitry';
import { redisStore } from 'circuitry/redis';
import { eq, ok, rejection } from './assert.mjs';

const url = process.env.CIRCUITRY_REDIS_URL;
ok(url, 'CIRCUITRY_REDIS_URL is set');
const clientA = new RedisClient(url);
const clientB = new RedisClient(url);
await clientA.connect();
await clientB.connect();
const prefix = `smoke:${Date.now()}:`;
const options = { prefix, keyTtl: 60_000, syncInterval: 60_000, timeout: 2_000 };
const storeA = redisStore(clientA, options);
const storeB = redisStore(clientB, options);
const breaker = (store) => new CircuitBreaker({ name: 'dep', registry: false, failureThreshold: 1, recoveryTimeout: 60_000, store });
const a = breaker(storeA);
const b = breaker(storeB);
const field = async (name) => {
  const row = await clientA.send('HGETALL', [prefix + 'dep']);
  if (!Array.isArray(row)) return row[name];
  return row[row.indexOf(name) + 1];
};
try {
  await storeA.sync();
  await storeB.sync();
  await clientA.send('SCRIPT', ['FLUSH']);
  eq((await rejection(circuit(async () => Promise.reject(new Error('down')), a)(), 'a failing call')).message, 'down', 'the failure');
  eq(a.state, 'open', 'the breaker that failed');
  await storeA.sync();
  eq(storeA.connected, true, 'store A is connected after Redis forgot the script');
  eq(await field('s'), 'open', 'the state Redis holds');
  await storeB.sync();
  eq(b.state, 'open', 'the other store\'s breaker, after a sync');
  a.close();
  await storeA.sync();
  await storeB.sync();
  eq(await field('s'), 'closed', 'the state Redis holds after a close');
  eq(b.state, 'closed', 'the other store\'s breaker, after the close');
  console.log(`redisStore(new RedisClient()) shares open and close through redis-server ${(await clientA.send('INFO', ['server'])).match(/redis_version:(\S+)/)?.[1]}`);
} finally {
  storeA.close();
  storeB.close();
  clientA.close();
  clientB.close();
}
