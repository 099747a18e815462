import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** The partner service: serves a hot offer, or a 500 when it is told to be broken. */
export interface Partner {
  readonly url: string;
  healthy: boolean;
  /** Requests it has received, to show that an open circuit stops the traffic. */
  readonly requests: number;
  close(): Promise<void>;
}

export async function startPartner(): Promise<Partner> {
  let requests = 0;
  const state = { healthy: true };
  const server = createServer((_req, res) => {
    requests += 1;
    if (!state.healthy) {
      res.writeHead(500, { 'content-type': 'application/json' }).end('{"error":"partner is broken"}');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ offer: 'hot: 30% off today' }));
  });
  const url = await listen(server);
  return {
    url,
    get healthy() {
      return state.healthy;
    },
    set healthy(value: boolean) {
      state.healthy = value;
    },
    get requests() {
      return requests;
    },
    close: () => stop(server),
  };
}

/** Listens on an ephemeral loopback port and returns the base URL. */
export async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

export async function stop(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
}
