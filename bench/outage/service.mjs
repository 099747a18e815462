// The service under test: a node:http server that answers every request by calling its upstream
// with fetch through one of the guards, and answers the fallback when the guard gives one.
// Reports to the harness (IPC) every call it sent upstream and every state change of its breaker.
import { createServer } from 'node:http';
import { now } from './clock.mjs';
import { guards } from './guards.mjs';

const settings = JSON.parse(process.env.OUTAGE_SERVICE);
const attempts = [];
const events = [];

async function callUpstream(signal) {
  attempts.push(now());
  const response = await fetch(settings.upstreamUrl, { signal });
  const body = await response.text();
  if (!response.ok) throw new Error(`upstream answered ${response.status}: ${body}`);
  return 'upstream';
}

const guard = await guards[settings.variant]({
  callUpstream,
  deadline: settings.deadline,
  recovery: settings.recovery,
  redisUrl: settings.redisUrl,
  onState: (state) => events.push({ state, at: now() }),
});

const server = createServer((request, response) => {
  request.resume();
  guard.call().then(
    (source) => response.writeHead(200, { 'x-source': source === 'upstream' ? 'upstream' : 'fallback' }).end(source),
    (error) => response.writeHead(500).end(String(error)),
  );
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => process.send({ type: 'ready', port: server.address().port }));
process.on('message', (message) => {
  if (message === 'report') {
    guard.close();
    process.send({ type: 'report', attempts, events });
  }
});
