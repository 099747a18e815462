import { createServer } from 'node:http';
import { listen, stop } from '../offer-service/partner.js';

/** A flaky upstream: it fails `failEvery - 1` requests out of every `failEvery`, or all while down. */
export interface Upstream {
  readonly url: string;
  readonly requests: number;
  down: boolean;
  close(): Promise<void>;
}

export async function startUpstream(failEvery: number): Promise<Upstream> {
  const state = { requests: 0, down: false };
  const server = createServer((_req, res) => {
    state.requests += 1;
    const fails = state.down || state.requests % failEvery !== 0;
    if (fails) res.writeHead(503, { 'content-type': 'application/json' }).end('{"error":"try again"}');
    else res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ quote: 'all systems go', request: state.requests }));
  });
  const url = await listen(server);
  return {
    url,
    get requests() {
      return state.requests;
    },
    get down() {
      return state.down;
    },
    set down(value: boolean) {
      state.down = value;
    },
    close: () => stop(server),
  };
}
