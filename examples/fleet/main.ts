// `npm run example:fleet`: three processes of one service share a circuit through Redis. One
// process's failures open it for the whole fleet; when the dependency recovers, one trial in the
// whole fleet closes it again, and each process's ramp lets its traffic back gradually. Prints one
// line per process per transition, then the ramp, then exits.
//
// It starts its own redis-server on a free loopback port, or uses REDIS_URL when set. It stops
// by itself within FLEET_DEMO_LIMIT_MS (default 30,000), cleaning up its processes either way.
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startFlakyDependency, type FlakyDependency } from './dependency.js';
import type { Order, Report } from './messages.js';
import { startRedisServer, type DemoRedis } from './redis-server.js';
import type { ServiceConfig } from './service.js';

const SERVICES = [1, 2, 3];
const limit = Number(process.env.FLEET_DEMO_LIMIT_MS ?? 30_000);
const startedAt = Date.now();
const reports: Report[] = [];
const waiters = new Set<() => void>();
const children = new Map<number, ChildProcess>();
let redis: DemoRedis | undefined;
let dependency: FlakyDependency | undefined;
/** When the first process opened, to show how long the open took to reach the others. */
let firstOpenAt: number | undefined;
let trials = 0;

const say = (line: string) => console.log(line);

/** Resolves with the first report `find` picks, or rejects when the demo's time is up. */
function next<T extends Report>(what: string, find: (report: Report) => report is T): Promise<T> {
  return new Promise((resolve, reject) => {
    const check = () => {
      const found = reports.find(find);
      if (found === undefined) return;
      reports.splice(reports.indexOf(found), 1);
      waiters.delete(check);
      clearTimeout(timer);
      resolve(found);
    };
    const timer = setTimeout(() => reject(new Error(`no ${what} within the demo's ${limit} ms`)), Math.max(0, startedAt + limit - Date.now()));
    waiters.add(check);
    check();
  });
}

const callOf = (service: number) => (r: Report): r is Extract<Report, { type: 'call' }> => r.type === 'call' && r.service === service;
const transitionOf = (service: number, to: string) => (r: Report): r is Extract<Report, { type: 'transition' }> =>
  r.type === 'transition' && r.service === service && r.to === to;

async function call(service: number): Promise<Extract<Report, { type: 'call' }>> {
  children.get(service)!.send({ type: 'call' } satisfies Order);
  const result = await next(`answer from service-${service}`, callOf(service));
  if (result.trial) {
    trials += 1;
    say(`[service-${service}] trial call: ${result.detail}`);
  }
  return result;
}

/** Every transition is printed as it comes; the story waits for the ones it needs. */
function onReport(report: Report): void {
  if (report.type === 'transition') {
    let why = '';
    if (report.to === 'open' && report.from === 'closed') {
      firstOpenAt ??= report.at;
      why = report.ownFailures >= 3 ? ` (its own ${report.ownFailures} failures)` : ` (decided by another process, taken from Redis ${report.at - firstOpenAt} ms later)`;
    }
    say(`[service-${report.service}] ${report.from} -> ${report.to}${why}`);
  }
  // A call's answer is printed by whoever made the call.
  reports.push(report);
  for (const waiter of [...waiters]) waiter();
}

async function cleanUp(): Promise<void> {
  for (const child of children.values()) if (child.connected) child.send({ type: 'exit' } satisfies Order);
  await Promise.all(
    [...children.values()].map((child) => {
      if (child.exitCode !== null || child.signalCode !== null) return undefined;
      const forced = setTimeout(() => child.kill('SIGKILL'), 3_000);
      return new Promise((resolve) => child.once('exit', resolve)).finally(() => clearTimeout(forced));
    }),
  );
  await dependency?.close();
  await redis?.stop();
}

async function story(): Promise<void> {
  if (process.env.REDIS_URL) say(`redis: using REDIS_URL (${process.env.REDIS_URL})`);
  else {
    redis = await startRedisServer();
    say(`redis: started redis-server at ${redis.url} for this demo (set REDIS_URL to use your own)`);
  }
  const redisUrl = process.env.REDIS_URL || redis!.url;
  dependency = await startFlakyDependency();
  const script = fileURLToPath(new URL('./service.js', import.meta.url));
  for (const service of SERVICES) {
    const config: ServiceConfig = { service, redisUrl, prefix: `fleet-demo:${process.pid}:`, dependencyUrl: dependency.url };
    const child = fork(script, [JSON.stringify(config)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    child.on('message', onReport);
    children.set(service, child);
  }
  for (const service of SERVICES) await next(`service-${service} ready`, (r): r is Report => r.type === 'ready' && r.service === service);
  say(`fleet: 3 processes share the circuit 'inventory' through Redis (failureThreshold 3, recoveryTimeout 2 s, syncInterval 100 ms)`);

  dependency.failing = true;
  say('dependency: failing from now on; only service-1 calls it');
  for (let i = 0; i < 3; i++) {
    const answer = await call(1);
    say(`[service-1] call ${answer.result}: ${answer.detail}`);
  }
  await Promise.all(SERVICES.map((service) => next(`service-${service} open`, transitionOf(service, 'open'))));
  for (const service of [2, 3]) {
    const answer = await call(service);
    say(`[service-${service}] call ${answer.result}: ${answer.detail}`);
  }
  const requests = SERVICES.map((service) => `service-${service} ${dependency!.requestsBy.get(service) ?? 0}`).join(', ');
  say(`dependency: requests so far: ${requests}`);

  dependency.failing = false;
  say('dependency: recovered; every process calls it every 100 ms');
  const closedAt = new Map<number, number>();
  const closed = Promise.all(
    SERVICES.map((service) => next(`service-${service} closed`, transitionOf(service, 'closed')).then((report) => closedAt.set(service, report.at))),
  );
  let allClosed = false;
  void closed.then(() => (allClosed = true), () => {});
  const answers: Extract<Report, { type: 'call' }>[] = [];
  const rampEnd = () => Math.max(...closedAt.values()) + RAMP_SHOWN_MS;
  while ((!allClosed || Date.now() < rampEnd()) && Date.now() < startedAt + limit) {
    answers.push(...(await Promise.all(SERVICES.map((service) => call(service)))));
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await closed;
  say(`fleet: closed everywhere after ${trials} trial call${trials === 1 ? '' : 's'} in the whole fleet`);
  for (const service of SERVICES) say(`[service-${service}] ${rampLine(answers.filter((a) => a.service === service), closedAt.get(service)!)}`);
  const all = SERVICES.map((service) => `service-${service} ${dependency!.requestsBy.get(service) ?? 0}`).join(', ');
  say(`dependency: requests in all: ${all}`);
}

/** The ramp lasts 2 s (service.ts); the demo watches half a second more. */
const RAMP_SHOWN_MS = 2_500;
const SLICE_MS = 500;

/** Calls answered by the dependency, out of the calls made, per half second after the close. */
function rampLine(answers: readonly Extract<Report, { type: 'call' }>[], closedAt: number): string {
  const slices = Array.from({ length: RAMP_SHOWN_MS / SLICE_MS }, (_, i) => {
    const inSlice = answers.filter((a) => a.at > closedAt && a.at - closedAt <= (i + 1) * SLICE_MS && a.at - closedAt > i * SLICE_MS);
    return `${inSlice.filter((a) => a.result === 'ok').length}/${inSlice.length}`;
  });
  return `ramp after the close, calls let through per ${SLICE_MS} ms: ${slices.join(', ')}`;
}

const deadline = setTimeout(() => {
  console.error(`fleet: the demo did not finish within ${limit} ms`);
  void cleanUp().finally(() => process.exit(1));
}, limit + 5_000);
try {
  await story();
  await cleanUp();
  clearTimeout(deadline);
} catch (error) {
  console.error(`fleet: ${(error as Error).message}`);
  await cleanUp();
  clearTimeout(deadline);
  process.exitCode = 1;
}
