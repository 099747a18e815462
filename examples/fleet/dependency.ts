import { createServer } from 'node:http';
import { listen, stop } from '../offer-service/partner.js';

/** The flaky dependency the fleet calls: 503 while failing, 200 otherwise; it counts who called. */
export interface FlakyDependency {
  readonly url: string;
  failing: boolean;
  /** Requests received, by the service number in the `x-service` header. */
  readonly requestsBy: Map<number, number>;
  close(): Promise<void>;
}

export async function startFlakyDependency(): Promise<FlakyDependency> {
  const requestsBy = new Map<number, number>();
  const dependency = { failing: false };
  const server = createServer((req, res) => {
    const service = Number(req.headers['x-service']);
    requestsBy.set(service, (requestsBy.get(service) ?? 0) + 1);
    res.writeHead(dependency.failing ? 503 : 200).end(dependency.failing ? 'unavailable' : 'ok');
  });
  const url = await listen(server);
  return Object.assign(dependency, { url, requestsBy, close: () => stop(server) });
}
