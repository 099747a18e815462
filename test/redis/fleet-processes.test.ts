import { fork, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startRedis } from '../helpers/redis-server.js';

// Three Node processes share one breaker through a real Redis, and a real restart of Redis
// happens in the middle. Wall-clock time cannot be injected into Redis (its TIME is the point),
// so the test waits for events the processes report, each with a deadline, and never for a
// fixed time.

interface Message {
  type: 'ready' | 'event' | 'result';
  worker: number;
  at: number;
  event?: string;
  to?: string;
  id?: number;
  result?: string;
  ms?: number;
  state?: string;
}

let redis: Awaited<ReturnType<typeof startRedis>>;
let dependency: Server;
let dependencyMode: 'ok' | 'fail' = 'ok';
const requests: { worker: number; at: number }[] = [];
const workers: ChildProcess[] = [];
const messages: Message[] = [];
const waiters = new Set<() => void>();

function until<T>(what: string, find: () => T | undefined, deadline = 10_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const check = () => {
      const found = find();
      if (found === undefined) return;
      waiters.delete(check);
      clearTimeout(timer);
      resolve(found);
    };
    const timer = setTimeout(() => {
      waiters.delete(check);
      reject(new Error(`timed out waiting for ${what}; messages: ${JSON.stringify(messages.slice(-20))}`));
    }, deadline);
    waiters.add(check);
    check();
  });
}

let nextId = 0;
function call(worker: number): Promise<Message> {
  const id = ++nextId;
  workers[worker]!.send({ type: 'call', id });
  return until(`call ${id} of worker ${worker}`, () => messages.find((m) => m.type === 'result' && m.id === id));
}

const eventOf = (worker: number, event: string, to?: string, after = 0) =>
  until(`${event} ${to ?? ''} of worker ${worker}`, () =>
    messages.find((m) => m.worker === worker && m.event === event && (to === undefined || m.to === to) && m.at >= after),
  );

beforeAll(async () => {
  redis = await startRedis();
  dependency = createServer((req, res) => {
    requests.push({ worker: Number(req.headers['x-worker']), at: Date.now() });
    res.statusCode = dependencyMode === 'ok' ? 200 : 500;
    res.end(dependencyMode);
  });
  await new Promise<void>((resolve) => dependency.listen(0, '127.0.0.1', resolve));
  const { port } = dependency.address() as { port: number };
  const script = fileURLToPath(new URL('./fleet-worker.mjs', import.meta.url));
  for (let index = 0; index < 3; index++) {
    const config = { index, redisUrl: redis.url, dependencyUrl: `http://127.0.0.1:${port}/`, client: index % 2 === 0 ? 'ioredis' : 'node-redis' };
    const child = fork(script, [JSON.stringify(config)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    child.on('message', (m: Message) => {
      messages.push(m);
      for (const waiter of [...waiters]) waiter();
    });
    workers.push(child);
  }
  // Starting a Node process with two Redis clients can take many seconds on a loaded machine.
  await Promise.all(workers.map((_, i) => until(`worker ${i} ready`, () => messages.find((m) => m.type === 'ready' && m.worker === i), 45_000)));
}, 60_000);

afterAll(async () => {
  for (const w of workers) if (w.connected) w.send({ type: 'exit' });
  await Promise.all(workers.map((w) => (w.exitCode === null ? new Promise((resolve) => w.once('exit', resolve)) : undefined)));
  await new Promise((resolve) => dependency?.close(resolve));
  await redis?.stop();
});

it('one process opens the circuit for all, a Redis restart loses no call, exactly one trial runs fleet-wide, and all close', async () => {
  // 1. The dependency fails; only worker 0 calls it, and its failures open the circuit.
  dependencyMode = 'fail';
  for (let i = 0; i < 3; i++) expect((await call(0)).result).toBe('failed');
  const opened = await eventOf(0, 'stateChange', 'open');
  const seen = await Promise.all([eventOf(1, 'stateChange', 'open'), eventOf(2, 'stateChange', 'open')]);
  console.log(`open propagation: ${seen.map((m) => m.at - opened.at).join(' ms, ')} ms`);

  // 2. The others stop calling the dependency.
  const before = requests.length;
  const refused = await Promise.all([call(1), call(2), call(1), call(2)]);
  expect(refused.map((m) => m.result)).toEqual(['rejected', 'rejected', 'rejected', 'rejected']);
  expect(requests.length).toBe(before);
  expect(requests.every((r) => r.worker === 0)).toBe(true);

  // 3. Redis goes away and comes back empty; calls meanwhile are answered from local state.
  const stoppedAt = Date.now();
  await redis.stop();
  const during = await Promise.all([0, 1, 2, 0, 1, 2].map((w) => call(w)));
  await Promise.all([0, 1, 2].map((w) => eventOf(w, 'storeDown', undefined, stoppedAt)));
  const more = await Promise.all([0, 1, 2].map((w) => call(w)));
  for (const m of [...during, ...more]) {
    expect(m.result).toBe('rejected');
    // Not stuck: a call never waits for the store, let alone for one that is down.
    expect(m.ms).toBeLessThan(1000);
  }
  await redis.start();
  await Promise.all([0, 1, 2].map((w) => eventOf(w, 'storeUp', undefined, stoppedAt)));

  // 4. The dependency recovers. Once the open period is over, every process keeps calling; the
  // fleet runs exactly one trial, and its success closes every process.
  dependencyMode = 'ok';
  const recoveredFrom = requests.length;
  const closedBy = Promise.all([0, 1, 2].map((w) => eventOf(w, 'stateChange', 'closed')));
  let closedEvents: Message[] | undefined;
  void closedBy.then((events) => (closedEvents = events));
  const results: string[] = [];
  while (closedEvents === undefined) {
    const round = await Promise.all([0, 1, 2].map((w) => call(w)));
    results.push(...round.map((m) => m.result!));
    // Pacing, as steady traffic would be; what the test waits for is the close events.
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const firstClose = Math.min(...closedEvents.map((m) => m.at));
  const trials = requests.slice(recoveredFrom).filter((r) => r.at <= firstClose);
  expect(trials).toHaveLength(1);
  expect(results).not.toContain('failed');
  const after = await Promise.all([0, 1, 2].map((w) => call(w)));
  expect(after.map((m) => m.result)).toEqual(['ok', 'ok', 'ok']);
}, 60_000);
