import type { CircuitRegistry } from 'circuitry';
import type { RequestLike, ResponseLike } from './request.js';
import { sendJson } from './request.js';

/** The server-sent events of one handler: its clients, and what they listen through. */
interface TransitionStreams {
  /** Answers `req` with an event stream, or 503 when `maxStreams` are open already. */
  open(req: RequestLike, res: ResponseLike): void;
  /** Clients connected now. */
  readonly size: number;
  /** Ends every stream and stops listening. */
  close(): void;
}

/**
 * Sends every transition of the registry's breakers to each connected client, as an
 * `event: transition` whose data is `{ key, name, from, to, time }`. The registry is listened to
 * only while a client is connected, and one timer sends every client a heartbeat (a comment
 * line, so proxies keep the connection open).
 */
export function transitionStreams(registry: CircuitRegistry, maxStreams: number, heartbeat: number): TransitionStreams {
  const clients = new Set<ResponseLike>();
  let off: (() => void) | undefined;
  let timer: ReturnType<typeof setInterval> | undefined;
  const broadcast = (chunk: string) => {
    for (const res of clients) res.write(chunk);
  };
  const start = () => {
    off = registry.on('stateChange', ({ key, name, from, to }) => {
      broadcast(`event: transition\ndata: ${JSON.stringify({ key, name, from, to, time: Date.now() })}\n\n`);
    });
    timer = setInterval(() => broadcast(': heartbeat\n\n'), heartbeat);
    // A heartbeat never keeps a process alive on its own.
    (timer as { unref?: () => void }).unref?.();
  };
  const stop = () => {
    off?.();
    off = undefined;
    if (timer !== undefined) clearInterval(timer);
    timer = undefined;
  };
  const leave = (res: ResponseLike) => {
    if (!clients.delete(res)) return;
    if (clients.size === 0) stop();
  };
  return {
    open(req, res) {
      if (clients.size >= maxStreams) {
        sendJson(res, 503, { error: 'too many event streams' }, { 'retry-after': '5' });
        return;
      }
      res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', 'x-content-type-options': 'nosniff', 'x-accel-buffering': 'no' });
      res.write('retry: 2000\n\n');
      clients.add(res);
      if (clients.size === 1) start();
      req.on('close', () => leave(res));
      res.on('close', () => leave(res));
    },
    get size() {
      return clients.size;
    },
    close() {
      for (const res of [...clients]) {
        leave(res);
        res.end();
      }
      stop();
    },
  };
}
