import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A dependency on loopback that a test can break. It answers `body(path)` as JSON while `status`
 * is 200, that status with an error body otherwise, and never while `hang` is true.
 */
export interface Upstream {
  readonly url: string;
  status: number;
  hang: boolean;
  /** Extra headers of the answers that are not 200 (a `Retry-After`, say). */
  headers: Record<string, string>;
  /** Requests it received: an open circuit shows as requests that never came. */
  readonly requests: number;
  /** Resolves when the next request arrives, with a promise of its connection closing. */
  nextRequest(): Promise<{ closed: Promise<void> }>;
  close(): Promise<void>;
}

export async function startUpstream(body: (path: string) => unknown = () => ({ ok: true })): Promise<Upstream> {
  let requests = 0;
  const arrived: ((request: { closed: Promise<void> }) => void)[] = [];
  const state = { status: 200, hang: false, headers: {} as Record<string, string> };
  const server = createServer((req, res) => {
    requests += 1;
    const closed = new Promise<void>((resolve) => res.on('close', resolve));
    for (const notify of arrived.splice(0)) notify({ closed });
    if (state.hang) return;
    const payload = state.status === 200 ? body(req.url ?? '/') : { error: `upstream answered ${state.status}` };
    res.writeHead(state.status, { 'content-type': 'application/json', ...(state.status === 200 ? {} : state.headers) }).end(JSON.stringify(payload));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  // Accessors, not copies: the test flips status and hang, and reads the counts, while it runs.
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    get status() {
      return state.status;
    },
    set status(value) {
      state.status = value;
    },
    get hang() {
      return state.hang;
    },
    set hang(value) {
      state.hang = value;
    },
    get headers() {
      return state.headers;
    },
    set headers(value) {
      state.headers = value;
    },
    get requests() {
      return requests;
    },
    nextRequest: () => new Promise((resolve) => arrived.push(resolve)),
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
    },
  };
}
