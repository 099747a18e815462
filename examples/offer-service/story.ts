import type { Clock } from 'circuitry';
import type { Offer } from './offer-service.js';
import { startOfferService } from './offer-service.js';
import { startPartner } from './partner.js';

/** One line of the timeline: what happened, what the caller got, how the circuit stood. */
export interface Step {
  readonly event: string;
  readonly offer?: Offer;
  readonly state: string;
  readonly consecutiveFailures: number;
  readonly partnerRequests: number;
}

export interface StoryOptions {
  /** Milliseconds the circuit stays open. */
  readonly recoveryTimeout: number;
  /** Lets `ms` pass: a real wait in the demo, a clock advance in the test. */
  readonly wait: (ms: number) => Promise<void>;
  readonly clock?: Clock;
  /** Receives each step as it happens. */
  readonly onStep?: (step: Step) => void;
  /** Receives each state change of the circuit. */
  readonly onStateChange?: (from: string, to: string) => void;
}

/**
 * Drives the whole story over real HTTP on loopback: healthy partner, broken partner, cold
 * offers while failures count, the circuit opening after 3, no more partner calls, half-open
 * after the recovery timeout, partner healthy again, closed.
 */
export async function runStory(options: StoryOptions): Promise<Step[]> {
  const partner = await startPartner();
  const service = await startOfferService({
    partnerUrl: partner.url,
    recoveryTimeout: options.recoveryTimeout,
    ...(options.clock && { clock: options.clock }),
    ...(options.onStateChange && { onStateChange: options.onStateChange }),
  });
  const steps: Step[] = [];
  const get = async <T>(path: string): Promise<T> => (await (await fetch(`${service.url}${path}`)).json()) as T;
  const record = async (event: string, offer?: Offer) => {
    const circuitInfo = await get<{ state: string; consecutiveFailures: number }>('/offer/circuit');
    const step: Step = { event, ...(offer && { offer }), ...circuitInfo, partnerRequests: partner.requests };
    steps.push(step);
    options.onStep?.(step);
  };
  try {
    await record('partner healthy: GET /offer', await get<Offer>('/offer'));
    partner.healthy = false;
    for (let i = 1; i <= 3; i++) await record(`partner returns 500: GET /offer #${i}`, await get<Offer>('/offer'));
    await record('circuit open: GET /offer', await get<Offer>('/offer'));
    await record('circuit open: GET /offer', await get<Offer>('/offer'));
    await options.wait(options.recoveryTimeout);
    await record(`${options.recoveryTimeout} ms later: GET /offer/circuit`);
    partner.healthy = true;
    await record('partner healthy again: GET /offer (the trial call)', await get<Offer>('/offer'));
    await record('circuit closed: GET /offer', await get<Offer>('/offer'));
    return steps;
  } finally {
    await service.close();
    await partner.close();
  }
}
