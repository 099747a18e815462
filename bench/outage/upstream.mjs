// The dependency: a node:http server whose behaviour follows a schedule the harness hands over
// before the load starts, so a switch is not delayed by the harness's own event loop.
// Modes: healthy, down (listener closed: connection refused), hanging (accepts, never answers),
// slow (answers after 2 s), flapping (half the answers are 500s).
import { createServer } from 'node:http';
import { now } from './clock.mjs';

const SLOW_MS = 2_000;
let mode = 'healthy';
let port = 0;
const received = [];
const switches = [];
const sockets = new Set();
const held = new Set();

const server = createServer((request, response) => {
  received.push(now());
  if (mode === 'hanging') {
    held.add(response);
    response.on('close', () => held.delete(response));
  } else if (mode === 'slow') {
    const timer = setTimeout(() => response.end('slow'), SLOW_MS);
    response.on('close', () => clearTimeout(timer));
  } else if (mode === 'flapping' && Math.random() < 0.5) {
    response.writeHead(500).end('flapping');
  } else {
    response.end('ok');
  }
});
server.keepAliveTimeout = 60_000;
server.on('connection', (socket) => {
  sockets.add(socket);
  socket.on('close', () => sockets.delete(socket));
});

const listen = () => new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve(server.address().port)));
// A process that died: its port refuses connections, and the connections it held are reset.
const goDown = () => {
  server.close();
  for (const socket of sockets) socket.destroy();
};

async function switchTo(next) {
  const previous = mode;
  mode = next;
  switches.push({ mode: next, at: now() });
  // Requests held by a hanging upstream die with it, as with a restarted process.
  for (const response of held) response.socket?.destroy();
  if (next === 'down') goDown();
  if (previous === 'down') await listen();
}

port = await listen();
process.on('message', (message) => {
  if (message.schedule) {
    for (const { at, mode: next } of message.schedule) setTimeout(() => switchTo(next), Math.max(0, at - now()));
  }
  if (message === 'report') process.send({ type: 'report', received, switches });
});
process.send({ type: 'ready', port });
