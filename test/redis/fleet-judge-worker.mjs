// One process of the fleet in fleet-judge-processes.test.ts. It runs the built package, as a
// user's process would, with three breakers: 'judged' and 'lonely' on a store that judges with
// the fleet, 'alone' on one that judges in each process. The test tells it which outcomes to
// give each breaker, and it reports every change of state over IPC.
import { CircuitBreaker, countWindow, timeWindow } from 'circuitry';
import { redisStore } from 'circuitry/redis';
import { Redis } from 'ioredis';

const { index, redisUrl, prefix, countInterval } = JSON.parse(process.argv[2]);
const send = (message) => process.connected && process.send({ ...message, worker: index, at: Date.now() });

const client = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
client.on('error', () => {});
// A generous timeout: ten processes start together on a loaded machine.
const timing = { prefix, syncInterval: 200, timeout: 3000 };
const fleet = redisStore(client, { ...timing, judge: 'fleet', countInterval });
const processes = redisStore(client, timing);
// Each process sees 6 calls at most, below minimumCalls: only the fleet's window can judge.
const window = () => countWindow({ size: 100, minimumCalls: 20, failureRate: 0.5 });
const breakers = {
  judged: new CircuitBreaker({ name: 'judged', policy: window(), recoveryTimeout: 60_000, store: fleet, registry: false, reportError: () => {} }),
  alone: new CircuitBreaker({ name: 'alone', policy: window(), recoveryTimeout: 60_000, store: processes, registry: false, reportError: () => {} }),
  lonely: new CircuitBreaker({
    name: 'lonely',
    policy: timeWindow({ duration: 60_000, minimumCalls: 10, failureRate: 0.5 }),
    recoveryTimeout: 60_000,
    store: fleet,
    registry: false,
    reportError: () => {},
  }),
};
for (const [name, breaker] of Object.entries(breakers)) {
  breaker.on('stateChange', ({ to }) => send({ type: 'event', breaker: name, to }));
}

process.on('message', async (message) => {
  if (message.type === 'calls') {
    const breaker = breakers[message.breaker];
    for (const outcome of message.outcomes) {
      await breaker.execute(() => (outcome === 'fail' ? Promise.reject(new Error('down')) : Promise.resolve())).catch(() => {});
    }
    await Promise.all([fleet.sync(), processes.sync()]);
    send({ type: 'done', id: message.id, state: breaker.state, window: breaker.stats().window });
  } else if (message.type === 'exit') {
    fleet.close();
    processes.close();
    client.disconnect();
    process.disconnect();
  }
});

await Promise.all([fleet.sync(), processes.sync()]);
send({ type: 'ready' });
