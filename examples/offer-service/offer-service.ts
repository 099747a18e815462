import { createServer } from 'node:http';
import { circuit } from 'circuitry';
import type { CircuitState, Clock } from 'circuitry';
import { listen, stop } from './partner.js';

/** The partner answered, but not with an offer. */
export class PartnerError extends Error {
  constructor(readonly status: number) {
    super(`partner answered ${status}`);
    this.name = 'PartnerError';
  }
}

export interface Offer {
  readonly offer: string;
  readonly source: 'partner' | 'fallback';
}

export interface OfferServiceOptions {
  readonly partnerUrl: string;
  readonly recoveryTimeout: number;
  readonly clock?: Clock;
  readonly onStateChange?: (from: CircuitState, to: CircuitState) => void;
}

export interface OfferService {
  readonly url: string;
  close(): Promise<void>;
}

/**
 * The offer service: `GET /offer` asks the partner for a hot offer through a circuit and falls
 * back to a cold one; `GET /offer/circuit` shows the circuit.
 */
export async function startOfferService(options: OfferServiceOptions): Promise<OfferService> {
  const hotOffer = circuit(
    async (): Promise<Offer> => {
      const response = await fetch(`${options.partnerUrl}/offer`);
      if (!response.ok) throw new PartnerError(response.status);
      const body = (await response.json()) as { offer: string };
      return { offer: body.offer, source: 'partner' };
    },
    {
      name: 'partner-offers',
      failureThreshold: 3,
      recoveryTimeout: options.recoveryTimeout,
      fallback: (): Offer => ({ offer: 'cold: free shipping', source: 'fallback' }),
      ...(options.clock && { clock: options.clock }),
      ...(options.onStateChange && { onStateChange: options.onStateChange }),
    },
  );

  const server = createServer((req, res) => {
    const reply = (status: number, body: unknown) =>
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    if (req.url === '/offer/circuit') {
      reply(200, { state: hotOffer.breaker.state, consecutiveFailures: hotOffer.breaker.consecutiveFailures });
    } else if (req.url === '/offer') {
      hotOffer().then(
        (offer) => reply(200, offer),
        (error: unknown) => reply(502, { error: String(error) }),
      );
    } else {
      reply(404, { error: 'not found' });
    }
  });
  const url = await listen(server);
  return { url, close: () => stop(server) };
}
