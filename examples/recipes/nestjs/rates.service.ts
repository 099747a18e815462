import { BadGatewayException, Inject, Injectable } from '@nestjs/common';
import { callSignal } from 'circuitry';

export const RATES_URL = Symbol('RATES_URL');

export interface Rate {
  readonly base: string;
  readonly quote: string;
  readonly rate: number;
}

/** The exchange-rates API, and the last rate it gave for each pair. */
@Injectable()
export class RatesService {
  readonly #lastSeen = new Map<string, Rate>();

  constructor(@Inject(RATES_URL) private readonly baseUrl: string) {}

  /** Runs inside the controller's breaker, whose timeout gives each call a signal. */
  async fetchRate(base: string, quote: string): Promise<Rate> {
    const response = await fetch(`${this.baseUrl}/rates/${base}/${quote}`, { signal: callSignal() });
    if (!response.ok) throw new BadGatewayException(`rates-api answered ${response.status}`);
    const rate = (await response.json()) as Rate;
    this.#lastSeen.set(`${base}/${quote}`, rate);
    return rate;
  }

  lastSeen(base: string, quote: string): Rate | undefined {
    return this.#lastSeen.get(`${base}/${quote}`);
  }
}
