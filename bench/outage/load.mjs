// The load generator, in its own process. Open loop: request i is due at start + i / rate and is
// sent then, whatever happened to earlier ones; its latency is counted from that due time, so a
// stalled service (or a stalled generator) shows in the figures instead of delaying the schedule
// (no coordinated omission). Closed loop (`concurrency`) is used for the healthy ceiling only.
// Writes one JSON file: per request its due time (ms from start), latency, status (0 = no answer)
// and source (1 upstream, 2 fallback, 0 neither).
import { Agent, request } from 'node:http';
import { writeFileSync } from 'node:fs';
import { now } from './clock.mjs';

const { ports, rate, start, end, requestTimeout, concurrency, out } = JSON.parse(process.env.OUTAGE_LOAD);
const agent = new Agent({ keepAlive: true, maxSockets: 4_096 });
const due = [];
const latency = [];
const status = [];
const source = [];
let pending = 0;
let scheduleDone = false; // nothing more will be sent
let finished;
const allDone = new Promise((resolve) => (finished = resolve));

function send(index, dueAt, then) {
  due[index] = dueAt - start;
  pending++;
  let settled = false;
  const settle = (code, from) => {
    if (settled) return;
    settled = true;
    latency[index] = now() - dueAt;
    status[index] = code;
    source[index] = from;
    pending--;
    then?.();
    if (pending === 0 && scheduleDone) finished();
  };
  const req = request({ host: '127.0.0.1', port: ports[index % ports.length], path: '/', agent, timeout: requestTimeout }, (res) => {
    const from = res.headers['x-source'] === 'upstream' ? 1 : res.headers['x-source'] === 'fallback' ? 2 : 0;
    res.resume();
    res.on('end', () => settle(res.statusCode, from));
    res.on('error', () => settle(0, 0));
  });
  req.on('timeout', () => req.destroy(new Error('no answer in time')));
  req.on('error', () => settle(0, 0));
  req.end();
}

function openLoop() {
  const interval = 1_000 / rate;
  let next = 0;
  const tick = () => {
    const t = now();
    for (let dueAt = start + next * interval; dueAt <= t && dueAt < end; dueAt = start + next * interval) send(next++, dueAt);
    if (start + next * interval < end) setTimeout(tick, Math.max(0, Math.min(start + next * interval - now(), 2)));
    else if ((scheduleDone = true) && pending === 0) finished();
  };
  setTimeout(tick, Math.max(0, start - now()));
}

function closedLoop() {
  let next = 0;
  const worker = () => {
    const t = now();
    if (t >= end) {
      scheduleDone = true;
      if (pending === 0) finished();
      return;
    }
    send(next++, t, worker);
  };
  setTimeout(() => {
    for (let i = 0; i < concurrency; i++) worker();
  }, Math.max(0, start - now()));
}

if (concurrency) closedLoop();
else openLoop();
await allDone;
writeFileSync(out, JSON.stringify({ due, latency, status, source }));
agent.destroy();
process.exit(0);
