import { createServer } from 'node:http';
import { CircuitRegistry, circuit } from 'circuitry';
import type { CircuitBreaker, Clock } from 'circuitry';
import { toPrometheus } from 'circuitry/prometheus';
import { listen, stop } from '../offer-service/partner.js';

export interface MetricsServiceOptions {
  /** Whether the inventory dependency answers; flip it to watch the circuit open. */
  readonly inventoryUp: () => boolean;
  readonly clock?: Clock;
  /** Where the one-line state-change log goes. */
  readonly log: (line: string) => void;
}

export interface MetricsService {
  readonly url: string;
  readonly registry: CircuitRegistry;
  close(): Promise<void>;
}

/** Logs every change of state of a breaker, one line each. */
export function logStateChanges(breaker: CircuitBreaker, log: (line: string) => void): () => void {
  return breaker.on('stateChange', ({ from, to }) => {
    const { failures, rejections, retryAfter } = breaker.stats();
    log(`circuit=${breaker.name} ${from} -> ${to} failures=${failures} rejections=${rejections} retryAfterMs=${retryAfter}`);
  });
}

/**
 * A service with one guarded dependency: `GET /inventory` calls it, `GET /metrics` serves every
 * circuit in the Prometheus text format, and `GET /health` answers 503 while any circuit is open.
 */
export async function startMetricsService(options: MetricsServiceOptions): Promise<MetricsService> {
  const registry = new CircuitRegistry();
  const inventory = circuit(
    async (sku: string) => {
      if (!options.inventoryUp()) throw new Error('inventory is down');
      return { sku, inStock: 3 };
    },
    { name: 'inventory', registry, failureThreshold: 2, recoveryTimeout: 5_000, ...(options.clock && { clock: options.clock }) },
  );
  logStateChanges(inventory.breaker, options.log);

  const server = createServer((req, res) => {
    const url = req.url ?? '/';
    if (url === '/metrics') {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(toPrometheus({ registry }));
    } else if (url === '/health') {
      const open = registry.open().map((b) => b.name);
      res.writeHead(open.length === 0 ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify({ open }));
    } else if (url.startsWith('/inventory/')) {
      inventory(url.slice('/inventory/'.length)).then(
        (item) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(item)),
        (error: unknown) => res.writeHead(502, { 'content-type': 'application/json' }).end(JSON.stringify({ error: String(error) })),
      );
    } else {
      res.writeHead(404).end();
    }
  });
  const url = await listen(server);
  return { url, registry, close: () => stop(server) };
}
