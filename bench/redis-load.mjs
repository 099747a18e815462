// What a fleet costs Redis, and how fast an open crosses it: the "before" and "after" of
// push propagation. Runs the built package (`npm run build` first), each process on its own
// ioredis connection, as a fleet's processes are.
//
//   node bench/redis-load.mjs [--load] [--propagation] [--write]   (npm run bench:redis-load -- ... builds first)
//     --processes=1,10      idle processes in each load run (one run per number)
//     --breakers=1000       breakers per process (the same names in every process: one fleet)
//     --seconds=10          how long commands are counted, after a warm-up of one sync
//     --rounds=3            counting windows in a row on each fleet (median and range reported)
//     --opens=200           opens timed between two processes
//     --concurrency=4       opens under way at once (each on its own breaker)
//     --sync-interval=N     the store's syncInterval; default: the store's own default
//     --judge=fleet         stores judge with the fleet (countWindow breakers, counts flushed
//                           every --count-interval ms, default the store's) and every breaker is
//                           called --call-rate times a second (default 10; 1 call in 10 fails)
//     --write               put the figures in bench/RESULTS.md under FLEET_HEADING
//     --after               ... under the "with push" heading, keeping the "before push" one
//   REDIS_URL: use that Redis instead of starting one (its command counter must then be this
//   run's alone). Without --load or --propagation, both run. Everything is bounded in time.
import { fork } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { startRedis } from './redis.mjs';

// --after writes the figures under a section of their own, beside the "before" kept for comparison.
const FLEET_HEADING = `## Fleet: Redis load and open propagation (${process.argv.includes('--after') ? 'with push' : 'before push'})`;
const here = fileURLToPath(new URL('.', import.meta.url));
const self = fileURLToPath(import.meta.url);

const flags = Object.fromEntries(
  process.argv.slice(2).map((arg) => {
    const [name, value] = arg.replace(/^--/, '').split('=');
    return [name, value ?? 'true'];
  }),
);
const syncInterval = flags['sync-interval'] === undefined ? undefined : Number(flags['sync-interval']);
const judgeFleet = flags.judge === 'fleet';
const callRate = Number(flags['call-rate'] ?? 10);
const storeOptions = {
  ...(syncInterval === undefined ? {} : { syncInterval }),
  ...(judgeFleet ? { judge: 'fleet' } : {}),
  ...(flags['count-interval'] === undefined ? {} : { countInterval: Number(flags['count-interval']) }),
};

if (flags.child !== undefined) await child(flags.child);
else await main();

// ─── the parent: starts Redis and the processes, counts, times, reports ───────────────────────

async function main() {
  const processCounts = (flags.processes ?? '1,10').split(',').map(Number);
  const breakers = Number(flags.breakers ?? 1000);
  const seconds = Number(flags.seconds ?? 10);
  const opens = Number(flags.opens ?? 200);
  const concurrency = Number(flags.concurrency ?? 4);
  const rounds = Number(flags.rounds ?? 3);
  const runLoad = flags.load !== undefined || flags.propagation === undefined;
  const runPropagation = flags.propagation !== undefined || flags.load === undefined;

  const own = process.env.REDIS_URL ? undefined : await startRedis();
  if (!process.env.REDIS_URL && own === undefined) throw new Error('no redis-server on this machine (see scripts/ensure-redis.mjs), and no REDIS_URL');
  const url = process.env.REDIS_URL ?? own.url;
  // Whatever happens, the processes and the server this run started go with it.
  const children = new Set();
  const cleanUp = () => {
    for (const c of children) c.kill('SIGKILL');
    own?.stop();
  };
  process.on('exit', cleanUp);
  const giveUp = setTimeout(() => {
    console.error('redis-load: gave up after its time limit');
    process.exit(1);
  }, (runLoad ? processCounts.length * (rounds * seconds + 150) : 0) * 1000 + (runPropagation ? 30 + opens * 3 : 0) * 1000);
  giveUp.unref();

  const { Redis } = await import('ioredis');
  const admin = new Redis(url);
  const results = { load: [], propagation: undefined };
  try {
    if (runLoad) {
      for (const count of processCounts) {
        await admin.flushall();
        const prefix = `load:${count}:`;
        const fleet = await Promise.all(Array.from({ length: count }, () => spawn(children, { role: 'load', url, breakers, prefix })));
        await Promise.all(fleet.map((p) => p.next('ready', 120_000)));
        // One sync interval of warm-up, so that every process is in its steady cycle.
        await sleep(syncInterval ?? 500);
        // Windows one after another on the same fleet: the spread says how steady the machine was.
        for (let round = 0; round < rounds; round++) {
          const cpuBefore = await Promise.all(fleet.map((p) => p.cpu()));
          const before = await counters(admin);
          await sleep(seconds * 1000);
          const after = await counters(admin);
          const cpuAfter = await Promise.all(fleet.map((p) => p.cpu()));
          const elapsed = (after.at - before.at) / 1000;
          const perSecond = (name) => ((after.commands[name] ?? 0) - (before.commands[name] ?? 0)) / elapsed;
          // The three INFO calls of the count itself are left out.
          const total = (after.total - before.total - 3) / elapsed;
          // What the fleet asks for: one read of each breaker per syncInterval in every process.
          const asked = (count * breakers * 1000) / (syncInterval ?? 500);
          const redisCpu = (after.cpuSeconds - before.cpuSeconds) / elapsed;
          // CPU seconds per second of one idle process (user + system), the mean of the fleet's.
          const processCpu = cpuAfter.reduce((sum, c, i) => sum + (c.cpu - cpuBefore[i].cpu) / (c.at - cpuBefore[i].at), 0) / count;
          const row = { processes: count, breakers, round, seconds: elapsed, total, evalsha: perSecond('evalsha'), asked, redisCpu, processCpu, inner: {} };
          for (const name of ['time', 'type', 'hmget', 'hset', 'pexpire', 'eval', 'set', 'hdel']) row.inner[name] = perSecond(name);
          // Microseconds Redis spent in one EVALSHA (a script holds Redis for that long), on average.
          const scripts = (after.commands.evalsha ?? 0) - (before.commands.evalsha ?? 0);
          row.usecPerScript = scripts > 0 ? ((after.usec.evalsha ?? 0) - (before.usec.evalsha ?? 0)) / scripts : 0;
          results.load.push(row);
          console.log(`load: ${count} × ${breakers} breakers${judgeFleet ? `, judged by the fleet, ${callRate} calls/s each` : ''}: ${Math.round(total)} commands/s (${(total / (count * breakers)).toFixed(3)} per breaker per second per process), Redis CPU ${redisCpu.toFixed(2)} s/s, each process ${processCpu.toFixed(3)} s/s (EVALSHA ${Math.round(row.evalsha)}/s of ${Math.round(asked)}/s asked, ${Math.round(row.usecPerScript)} µs each; inside scripts ${JSON.stringify(Object.fromEntries(Object.entries(row.inner).map(([k, v]) => [k, Math.round(v)])))})`);
        }
        await Promise.all(fleet.map((p) => p.stop()));
      }
    }
    if (runPropagation) {
      await admin.flushall();
      results.propagation = await propagation(children, url, opens, concurrency);
      const p = results.propagation;
      console.log(`propagation: ${p.opens} opens: median ${f0(p.median)} ms, p99 ${f0(p.p99)} ms, max ${f0(p.max)} ms, min ${f0(p.min)} ms`);
    }
  } finally {
    admin.disconnect();
    cleanUp();
  }
  console.log(JSON.stringify(results));
  if (flags.write !== undefined) writeResults(results, { breakers, seconds, opens, concurrency, rounds });
  process.exit(0);
}

/** Commands Redis executed so far (scripts' inner commands included), in all and by name. */
async function counters(admin) {
  const stats = await admin.info('stats');
  const commandStats = await admin.info('commandstats');
  const cpu = await admin.info('cpu');
  const at = performance.now();
  const total = Number(/total_commands_processed:(\d+)/.exec(stats)[1]);
  const commands = {};
  const usec = {};
  for (const [, name, calls, spent] of commandStats.matchAll(/cmdstat_([^:]+):calls=(\d+),usec=(\d+)/g)) {
    commands[name] = Number(calls);
    usec[name] = Number(spent);
  }
  const cpuSeconds = Number(/used_cpu_user:([\d.]+)/.exec(cpu)[1]) + Number(/used_cpu_sys:([\d.]+)/.exec(cpu)[1]);
  return { at, total, commands, usec, cpuSeconds };
}

/** Opens timed from the process that trips (A) to the one that takes it in (B), over Redis. */
async function propagation(children, url, opens, concurrency) {
  const prefix = 'propagation:';
  const names = Array.from({ length: opens }, (_, i) => `dep-${i}`);
  const [a, b] = await Promise.all([spawn(children, { role: 'opener', url, prefix, names }), spawn(children, { role: 'watcher', url, prefix, names })]);
  await Promise.all([a.next('ready', 120_000), b.next('ready', 120_000)]);
  const delays = [];
  let next = 0;
  const lane = async () => {
    while (next < names.length) {
      const name = names[next++];
      // A random point of the watcher's sync cycle, as a real failure would fall.
      await sleep(Math.random() * (syncInterval ?? 500));
      const seen = b.next(`seen:${name}`, 20_000);
      a.send({ type: 'open', name });
      const { at: openedAt } = await a.next(`opened:${name}`, 20_000);
      const { at: seenAt } = await seen;
      delays.push(seenAt - openedAt);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
  await Promise.all([a.stop(), b.stop()]);
  delays.sort((x, y) => x - y);
  const at = (q) => delays[Math.min(delays.length - 1, Math.ceil(q * delays.length) - 1)];
  return { opens: delays.length, concurrency, median: at(0.5), p99: at(0.99), max: delays.at(-1), min: delays[0] };
}

/** A forked process of this script, with a way to wait for what it reports. */
async function spawn(children, config) {
  const process_ = fork(self, ['--child=' + config.role, ...process.argv.slice(2).filter((arg) => !arg.startsWith('--child'))], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    env: { ...process.env, REDIS_LOAD_CONFIG: JSON.stringify(config) },
  });
  children.add(process_);
  const messages = [];
  const waiters = [];
  process_.on('message', (m) => {
    messages.push(m);
    for (const w of [...waiters]) w();
  });
  const exited = new Promise((resolve) => process_.once('exit', resolve));
  void exited.then(() => children.delete(process_));
  return {
    send: (m) => process_.send(m),
    /** The process's CPU time so far (s) and when it read it (s). */
    cpu() {
      process_.send({ type: 'cpu' });
      return this.next('cpu', 30_000);
    },
    next: (kind, deadline) =>
      new Promise((resolve, reject) => {
        const check = () => {
          const index = messages.findIndex((m) => m.kind === kind);
          if (index < 0) return false;
          waiters.splice(waiters.indexOf(check), 1);
          clearTimeout(timer);
          resolve(messages.splice(index, 1)[0]);
          return true;
        };
        const timer = setTimeout(() => reject(new Error(`no ${kind} from the ${config.role} process within ${deadline} ms`)), deadline);
        waiters.push(check);
        check();
      }),
    stop: async () => {
      if (process_.connected) process_.send({ type: 'exit' });
      const forced = setTimeout(() => process_.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(forced);
    },
  };
}

// ─── the children: one process of the fleet each ─────────────────────────────────────────────

async function child(role) {
  const config = JSON.parse(process.env.REDIS_LOAD_CONFIG);
  const { CircuitBreaker, circuit, countWindow } = await import('../dist/index.js');
  const { redisStore } = await import('../dist/redis.js');
  const { Redis } = await import('ioredis');
  const client = new Redis(config.url);
  client.on('error', () => {});
  const store = redisStore(client, { prefix: config.prefix, ...storeOptions });
  // The wall clock, comparable between processes of one machine, to the fraction of a ms.
  const now = () => performance.timeOrigin + performance.now();
  const report = (m) => process.connected && process.send({ ...m, at: now() });
  const trip = judgeFleet ? { policy: countWindow({ size: 100, minimumCalls: 20, failureRate: 0.5 }) } : { failureThreshold: 1 };
  const options = (name) => ({ name, registry: false, store, ...trip, recoveryTimeout: 600_000, reportError: () => {} });
  const kept = [];
  if (role === 'load') {
    for (let i = 0; i < config.breakers; i++) kept.push(new CircuitBreaker(options(`dep-${i}`)));
    if (judgeFleet) {
      // A steady call rate on every breaker, one call in ten failed: far below the failure rate.
      let tick = 0;
      const ok = () => Promise.resolve();
      const down = () => Promise.reject(new Error('down'));
      setInterval(() => {
        tick += 1;
        for (const breaker of kept) {
          for (let c = 0; c < callRate / 10; c++) void breaker.execute((tick + c) % 10 === 0 ? down : ok).catch(() => {});
        }
      }, 100).unref();
    }
  } else {
    for (const name of config.names) {
      const breaker = new CircuitBreaker(options(name));
      if (role === 'watcher') breaker.on('open', () => report({ kind: `seen:${name}` }));
      kept.push(breaker);
    }
  }
  const byName = new Map(kept.map((b) => [b.name, b]));
  process.on('message', async (m) => {
    if (m.type === 'open') {
      const at = now();
      await circuit(async () => Promise.reject(new Error('down')), byName.get(m.name))().catch(() => {});
      process.send({ kind: `opened:${m.name}`, at });
    } else if (m.type === 'cpu') {
      const { user, system } = process.cpuUsage();
      process.send({ kind: 'cpu', cpu: (user + system) / 1e6, at: now() / 1000 });
    } else if (m.type === 'exit') {
      store.close();
      client.disconnect();
      process.disconnect();
    }
  });
  await store.sync();
  report({ kind: 'ready' });
}

// ─── RESULTS.md ──────────────────────────────────────────────────────────────────────────────

function writeResults(results, settings) {
  const path = `${here}RESULTS.md`;
  const cpu = cpus();
  const lines = [FLEET_HEADING, ''];
  lines.push(
    `Measured by \`node bench/redis-load.mjs --write\` on ${new Date().toISOString().slice(0, 10)}: Node ${process.version}, ${cpu.length} × ${cpu[0]?.model.trim() ?? 'CPU'}, ${Math.round(totalmem() / 2 ** 30)} GiB, ` +
      `${syncInterval === undefined ? 'default settings (syncInterval 500 ms)' : `syncInterval ${syncInterval} ms`}. ` +
      'The processes, redis-server and other work share these cores: a fleet larger than the cores measures what the machine could execute, not only what circuitry asks for.',
    '',
  );
  if (results.load.length > 0) {
    lines.push(
      `Redis commands executed per second while the processes sit idle (no calls), each with its own connection and ${settings.breakers.toLocaleString('en')} breakers on one \`redisStore\`: ` +
        `\`INFO stats\` \`total_commands_processed\` over ${settings.seconds} s, which counts the commands a script runs too (\`INFO commandstats\` gives the split); ` +
        `the median of ${settings.rounds} windows in a row, with their range; the other columns are of the median window.`,
      '',
      '| processes × breakers | commands/s | EVALSHA/s | EVALSHA/s asked (a read per breaker per syncInterval) | inside scripts /s (TIME, TYPE, HMGET) | commands per breaker and process per second | redis-server CPU (s per s) | CPU of one idle process (s per s) |',
      '| --- | --- | --- | --- | --- | --- | --- | --- |',
    );
    const n = (x) => Math.round(x).toLocaleString('en');
    for (const count of [...new Set(results.load.map((r) => r.processes))]) {
      const rows = results.load.filter((r) => r.processes === count).sort((x, y) => x.total - y.total);
      const r = rows[rows.length >> 1];
      const range = rows.length > 1 ? ` (${n(rows[0].total)}..${n(rows.at(-1).total)})` : '';
      const inside = ['time', 'type', 'hmget'].map((name) => n(r.inner[name])).join(', ');
      lines.push(`| ${r.processes} × ${n(r.breakers)} | ${n(r.total)}${range} | ${n(r.evalsha)} | ${n(r.asked)} | ${inside} | ${(r.total / (r.processes * r.breakers)).toFixed(2)} | ${r.redisCpu.toFixed(2)} | ${r.processCpu.toFixed(3)} |`);
    }
    lines.push('');
  }
  if (results.propagation !== undefined) {
    const p = results.propagation;
    lines.push(
      `Open propagation: ${p.opens} opens, each on its own breaker, tripped by one process and taken in by another (both with their own connection), at a random point of the sync cycle; ` +
        `${p.concurrency} under way at once. From the trip to the \`open\` event in the other process, on the machine's one wall clock:`,
      '',
      '| opens | median | p99 | max | min |',
      '| --- | --- | --- | --- | --- |',
      `| ${p.opens} | ${f0(p.median)} ms | ${f0(p.p99)} ms | ${f0(p.max)} ms | ${f0(p.min)} ms |`,
      '',
    );
  }
  const text = readFileSync(path, 'utf8');
  const start = text.indexOf(FLEET_HEADING);
  const section = lines.join('\n');
  let updated;
  if (start < 0) updated = `${text.trimEnd()}\n\n${section}`;
  else {
    const end = text.indexOf('\n## ', start + FLEET_HEADING.length);
    updated = text.slice(0, start) + section + (end < 0 ? '' : text.slice(end));
  }
  writeFileSync(path, updated.endsWith('\n') ? updated : `${updated}\n`);
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function f0(ms) {
  return Math.round(ms).toLocaleString('en');
}
