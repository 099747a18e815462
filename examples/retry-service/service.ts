import { createServer } from 'node:http';
import { callSignal, circuit, retry } from 'circuitry';
import { listen, stop } from '../offer-service/partner.js';

/** The upstream answered, but not with a quote. */
export class UpstreamError extends Error {
  constructor(readonly status: number) {
    super(`upstream answered ${status}`);
    this.name = 'UpstreamError';
  }
}

export interface RetryServiceOptions {
  readonly upstreamUrl: string;
  /** Milliseconds between retries. */
  readonly retryWait: number;
  readonly recoveryTimeout: number;
}

/**
 * The shape of a FastAPI app that retries a flaky upstream and protects it with a breaker:
 * `GET /quote/retry` retries up to 3 times; `GET /quote/breaker` goes through a circuit and says
 * "service temporarily unavailable" when the upstream fails or the circuit is open.
 */
export async function startRetryService(options: RetryServiceOptions) {
  const fetchQuote = async (): Promise<{ quote: string }> => {
    const signal = callSignal(); // set by timeout(): the request stops when time is up
    const response = await fetch(`${options.upstreamUrl}/quote`, { signal });
    if (!response.ok) throw new UpstreamError(response.status);
    return (await response.json()) as { quote: string };
  };
  const withRetry = retry(fetchQuote, { attempts: 3, wait: options.retryWait, retryOn: UpstreamError });
  const withBreaker = circuit(fetchQuote, {
    name: 'quotes',
    registry: false,
    failureThreshold: 2,
    recoveryTimeout: options.recoveryTimeout,
    timeout: 2_000,
    fallback: () => ({ message: 'service temporarily unavailable' }),
  });

  const server = createServer((req, res) => {
    const reply = (status: number, body: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    const route = req.url === '/quote/retry' ? () => withRetry() : req.url === '/quote/breaker' ? () => withBreaker() : undefined;
    if (route === undefined) return reply(404, { error: 'not found' });
    route().then(
      (body) => reply(200, body),
      (error: unknown) => reply(502, { error: String(error), attempts: (error as { attempts?: number }).attempts }),
    );
  });
  const url = await listen(server);
  return { url, breaker: withBreaker.breaker, close: () => stop(server) };
}
