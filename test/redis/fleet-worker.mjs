// One process of the fleet in fleet-processes.test.ts: a breaker named 'dependency' shared
// through Redis, guarding HTTP calls to the test's dependency. It runs the built package, as a
// user's process would, and reports every call and event to the test over IPC.
import { CircuitBreaker, circuit } from 'circuitry';
import { redisStore } from 'circuitry/redis';
import { Redis } from 'ioredis';
import { createClient } from 'redis';

const { index, redisUrl, dependencyUrl, client: kind } = JSON.parse(process.argv[2]);
// After the test says exit, the store's last requests may still report; nobody is listening then.
const send = (message) => process.connected && process.send({ ...message, worker: index, at: Date.now() });

let client;
let quit;
if (kind === 'ioredis') {
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1, retryStrategy: () => 50 });
  redis.on('error', () => {});
  client = redis;
  quit = () => redis.disconnect();
} else {
  const redis = createClient({ url: redisUrl, socket: { reconnectStrategy: () => 50 } });
  redis.on('error', () => {});
  await redis.connect();
  client = redis;
  quit = () => redis.destroy();
}

const store = redisStore(client, { prefix: 'fleet:', syncInterval: 50, timeout: 100 });
const breaker = new CircuitBreaker({
  name: 'dependency',
  failureThreshold: 3,
  // Long enough that the open outlasts a Redis restart on a loaded machine: the test asks that calls
  // during the outage are refused, which a shorter open period turned into trials (a flake).
  recoveryTimeout: 8000,
  store,
  reportError: () => {},
});
breaker.on('stateChange', ({ to }) => send({ type: 'event', event: 'stateChange', to }));
breaker.on('storeDown', () => send({ type: 'event', event: 'storeDown' }));
breaker.on('storeUp', () => send({ type: 'event', event: 'storeUp' }));

const call = circuit(async () => {
  const response = await fetch(dependencyUrl, { headers: { 'x-worker': String(index) } });
  await response.text();
  if (!response.ok) throw new Error(`status ${response.status}`);
  return 'ok';
}, breaker);

process.on('message', async (message) => {
  if (message.type === 'call') {
    const start = Date.now();
    const result = await call().then(
      () => 'ok',
      (error) => (error.name === 'CircuitOpenError' ? 'rejected' : 'failed'),
    );
    send({ type: 'result', id: message.id, result, ms: Date.now() - start });
  } else if (message.type === 'exit') {
    store.close();
    quit();
    process.disconnect();
  }
});

await store.sync();
send({ type: 'ready', state: breaker.state });
