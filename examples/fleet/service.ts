// One process of the fleet: a breaker named 'inventory', shared with the other processes through
// Redis, guarding HTTP calls to the flaky dependency. It calls when the demo says so and reports
// each call and each transition of its breaker.
import { CircuitBreaker, CircuitRampError, circuit, isCircuitOpenError } from 'circuitry';
import { redisStore } from 'circuitry/redis';
import { Redis } from 'ioredis';
import type { Order, Report } from './messages.js';

export interface ServiceConfig {
  readonly service: number;
  readonly redisUrl: string;
  readonly prefix: string;
  readonly dependencyUrl: string;
}

const config = JSON.parse(process.argv[2]!) as ServiceConfig;
const { service } = config;
const report = (message: Report) => void (process.connected && process.send!(message));

const redis = new Redis(config.redisUrl, { maxRetriesPerRequest: 1 });
redis.on('error', () => {});
// A short syncInterval so that the demo is quick; the default is 500 ms.
const store = redisStore(redis, { prefix: config.prefix, syncInterval: 100 });
// After a close, a ramp admits a growing share of calls over 2 s, from one in five, so the whole
// fleet's traffic does not return to the dependency at once.
const breaker = new CircuitBreaker({ name: 'inventory', failureThreshold: 3, recoveryTimeout: 2_000, ramp: { duration: 2_000, minShare: 0.2 }, store });

/** Failures this process counted since its circuit last closed: were the opens its own? */
let ownFailures = 0;
breaker.on('failure', () => (ownFailures += 1));
breaker.on('stateChange', ({ from, to }) => {
  report({ type: 'transition', service, from, to, ownFailures, at: Date.now() });
  if (to === 'closed') ownFailures = 0;
});

let trial = false;
const fetchInventory = circuit(async () => {
  // Running while half-open, this call is the trial that decides for the whole fleet.
  trial = breaker.state === 'half-open';
  const response = await fetch(config.dependencyUrl, { headers: { 'x-service': String(service) } });
  await response.text();
  if (!response.ok) throw new Error(`the dependency answered ${response.status}`);
  return response.status;
}, breaker);

process.on('message', async (order: Order) => {
  if (order.type === 'exit') {
    store.close();
    redis.disconnect();
    process.disconnect();
    return;
  }
  trial = false;
  try {
    const status = await fetchInventory();
    report({ type: 'call', service, result: 'ok', trial, detail: `the dependency answered ${status}`, at: Date.now() });
  } catch (error) {
    if (error instanceof CircuitRampError) report({ type: 'call', service, result: 'ramped', trial, detail: 'held back by the ramp after the close', at: Date.now() });
    else if (isCircuitOpenError(error)) report({ type: 'call', service, result: 'rejected', trial, detail: 'rejected by the open circuit, the dependency not called', at: Date.now() });
    else report({ type: 'call', service, result: 'failed', trial, detail: (error as Error).message, at: Date.now() });
  }
});

await store.sync();
report({ type: 'ready', service });
