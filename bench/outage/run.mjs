// `npm run bench:outage`: every scenario × guard × run in fresh processes (upstream, service(s),
// load generator; redis-server for the fleet's shared store), all on loopback, each run bounded
// in time. Runs are interleaved (run 1 of every guard, then run 2, ...) so a change in the shared
// machine's load falls on every guard alike. Writes the figures to results.json, then OUTAGE.md.
import { execFileSync, fork } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startRedis } from '../redis.mjs';
import { analyse, analyseCeiling } from './analyse.mjs';
import { now } from './clock.mjs';
import { config, scenarios, variantsOf } from './config.mjs';

const here = fileURLToPath(new URL('.', import.meta.url));
const children = new Set();
const stopAll = () => children.forEach((c) => c.kill('SIGKILL'));
process.on('exit', stopAll);
process.on('SIGINT', () => process.exit(130));

function child(file, env = {}) {
  const started = fork(join(here, file), [], { env: { ...process.env, ...env }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  children.add(started);
  started.on('exit', () => children.delete(started));
  return started;
}

const reply = (process_, type, within = 20_000) =>
  new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${type} within ${within} ms`)), within);
    process_.on('message', (m) => m.type === type && (clearTimeout(timer), resolve(m)));
    process_.once('exit', (code) => reject(new Error(`child exited with ${code} before ${type}`)));
  });
const ask = (process_) => {
  const answer = reply(process_, 'report');
  process_.send('report');
  return answer;
};
const exited = (process_, within) =>
  new Promise((resolve, reject) => {
    const timer = setTimeout(() => (process_.kill('SIGKILL'), reject(new Error(`load generator still running after ${within} ms`))), within);
    process_.once('exit', (code) => (clearTimeout(timer), code === 0 ? resolve() : reject(new Error(`load generator exited with ${code}`))));
  });

let sequence = 0;
async function runOnce(scenarioName, variant) {
  const scenario = scenarios[scenarioName];
  const ceiling = scenarioName === 'ceiling';
  const upstream = child('upstream.mjs');
  const { port } = await reply(upstream, 'ready');
  const redis = variant === 'circuitry+redis' ? await startRedis() : undefined;
  if (variant === 'circuitry+redis' && !redis) throw new Error('the fleet with a store needs redis-server (see scripts/ensure-redis.mjs)');
  const settings = { variant, upstreamUrl: `http://127.0.0.1:${port}/`, deadline: config.deadline, recovery: config.recovery, redisUrl: redis?.url };
  const services = Array.from({ length: scenario.processes ?? 1 }, () => child('service.mjs', { OUTAGE_SERVICE: JSON.stringify(settings) }));
  const ports = (await Promise.all(services.map((s) => reply(s, 'ready')))).map((m) => m.port);

  const start = now() + 300;
  const outageStart = start + config.warm + config.before;
  const end = ceiling ? start + 1_000 + config.ceiling.seconds * 1_000 : outageStart + config.outage + config.after;
  if (!ceiling) upstream.send({ schedule: [{ at: outageStart, mode: scenario.mode }, { at: outageStart + config.outage, mode: 'healthy' }] });
  const out = join(tmpdir(), `outage-load-${process.pid}-${sequence++}.json`);
  const loadSettings = { ports, rate: config.rate, start, end, requestTimeout: 10_000, out, concurrency: ceiling ? config.ceiling.concurrency : 0 };
  try {
    await exited(child('load.mjs', { OUTAGE_LOAD: JSON.stringify(loadSettings) }), end - now() + 15_000);
    const serviceReports = await Promise.all(services.map(ask));
    const upstreamReport = await ask(upstream);
    const load = JSON.parse(readFileSync(out, 'utf8'));
    // OUTAGE_RAW=dir keeps every run's raw records, to analyse again without running again.
    if (process.env.OUTAGE_RAW) {
      const raw = { scenario: scenarioName, variant, load, upstream: upstreamReport, services: serviceReports, start, end };
      writeFileSync(join(process.env.OUTAGE_RAW, `${scenarioName}-${variant}-${sequence}.json`), JSON.stringify(raw));
    }
    if (ceiling) return analyseCeiling({ load, start, end });
    return analyse({ load, upstream: upstreamReport, services: serviceReports, start, end, warm: config.warm, recovery: config.recovery, bucket: config.bucket });
  } finally {
    rmSync(out, { force: true });
    [upstream, ...services].forEach((c) => c.kill('SIGKILL'));
    redis?.stop();
  }
}

const results = [];
const plan = config.scenarios.map((s) => ({ scenario: s, runs: config.runsOf(s) }));
const maxRuns = Math.max(...plan.map((p) => p.runs));
const began = Date.now();
for (let run = 1; run <= maxRuns; run++) {
  for (const { scenario, runs } of plan) {
    if (run > runs) continue;
    for (const variant of variantsOf(scenario)) {
      const figures = await runOnce(scenario, variant);
      results.push({ scenario, variant, run, ...figures });
      const summary = scenario === 'ceiling'
        ? `${figures.throughput} answers/s`
        : `open after ${JSON.stringify(figures.timeToOpen)} ms, ${figures.upstreamDuringOutage} upstream calls in the outage, open p99 ${figures.open?.p99 ?? '-'} ms, closed ${JSON.stringify(figures.timeToClose)} ms after the return, ${figures.callerErrors} caller errors`;
      process.stderr.write(`[${Math.round((Date.now() - began) / 1000)} s] run ${run} ${scenario} / ${variant}: ${summary}\n`);
    }
  }
}

const { ceiling, bucket, scenarios: chosen, runsOf, out, ...lengths } = config;
const machine = { node: process.version, cpus: cpus().length, cpu: cpus()[0]?.model ?? 'unknown', date: new Date().toISOString().slice(0, 10) };
const runsPerScenario = Object.fromEntries(plan.map((p) => [p.scenario, p.runs]));
writeFileSync(resolve(here, out), JSON.stringify({ machine, config: { ...lengths, ceiling, bucket, runsPerScenario }, results }, null, 1) + '\n');
process.stderr.write(`wrote ${resolve(here, out)} in ${Math.round((Date.now() - began) / 1000)} s\n`);
stopAll();
// A full run rewrites OUTAGE.md; a quick one writes its own to the temporary folder and leaves
// the committed figures alone.
const document = config.quick ? join(tmpdir(), 'OUTAGE-quick.md') : resolve(here, '../OUTAGE.md');
execFileSync(process.execPath, [join(here, 'report.mjs'), resolve(here, out), document], { stdio: 'inherit' });
