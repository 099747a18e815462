import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CircuitRegistry, circuit, isCircuitOpenError } from 'circuitry';
import type { Clock } from 'circuitry';
import { retryAfterSeconds, statusHandler } from 'circuitry/http';
import { prometheusExporter } from 'circuitry/prometheus';
import { stop } from '../offer-service/partner.js';

export interface MetricsServiceOptions {
  /** Whether the inventory dependency answers; flip it to watch the circuit open. */
  readonly inventoryUp: () => boolean;
  readonly clock?: Clock;
  /** Where the one-line state-change log goes. */
  readonly log: (line: string) => void;
  /** The port to listen on; default any free one. */
  readonly port?: number;
}

export interface MetricsService {
  readonly url: string;
  readonly registry: CircuitRegistry;
  close(): Promise<void>;
}

/** Logs every change of state of every breaker in `registry`, present and future, one line each. */
export function logStateChanges(registry: CircuitRegistry, log: (line: string) => void): () => void {
  return registry.on('stateChange', ({ key, from, to, breaker }) => {
    const { failures, rejections, retryAfter } = breaker.stats();
    log(`circuit=${key} ${from} -> ${to} failures=${failures} rejections=${rejections} retryAfterMs=${retryAfter}`);
  });
}

/**
 * A service with one guarded dependency: `GET /inventory` calls it (a refusal answers 503 with
 * `Retry-After`), `GET /metrics` serves every circuit in the Prometheus text format, transitions
 * and call durations included, `GET /health` answers 503 while any circuit is open, and
 * `/circuits/` is the live status page.
 */
export async function startMetricsService(options: MetricsServiceOptions): Promise<MetricsService> {
  const registry = new CircuitRegistry();
  const offLog = logStateChanges(registry, options.log);
  const exporter = prometheusExporter({ registry });
  const circuits = statusHandler({ registry, prefix: '/circuits', refresh: 1_000 });
  const inventory = circuit(
    async (sku: string) => {
      if (!options.inventoryUp()) throw new Error('inventory is down');
      return { sku, inStock: 3 };
    },
    { name: 'inventory', registry, failureThreshold: 2, recoveryTimeout: 5_000, ...(options.clock && { clock: options.clock }) },
  );

  const server = createServer((req, res) => {
    const url = req.url ?? '/';
    if (url === '/metrics') {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(exporter.metrics());
    } else if (url === '/health') {
      const open = registry.open().map((b) => b.name);
      res.writeHead(open.length === 0 ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify({ open }));
    } else if (url.startsWith('/inventory/')) {
      inventory(url.slice('/inventory/'.length)).then(
        (item) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(item)),
        (error: unknown) => {
          const seconds = isCircuitOpenError(error) ? retryAfterSeconds(error) : undefined;
          const status = isCircuitOpenError(error) ? 503 : 502;
          res.writeHead(status, { 'content-type': 'application/json', ...(seconds !== undefined && { 'retry-after': String(seconds) }) }).end(JSON.stringify({ error: String(error) }));
        },
      );
    } else {
      circuits(req, res);
    }
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    registry,
    close: async () => {
      circuits.close();
      exporter.close();
      offLog();
      await stop(server);
    },
  };
}
