import { Controller, DefaultValuePipe, Get, Param, ParseFloatPipe, Query, UseFilters } from '@nestjs/common';
import { circuit } from 'circuitry';
import { CircuitErrorFilter } from './circuit-open.filter.js';
import { RatesService } from './rates.service.js';

export interface Conversion {
  readonly base: string;
  readonly quote: string;
  readonly amount: number;
  readonly converted: number;
  /** True when the rates API is failing and the last rate seen was used. */
  readonly stale: boolean;
}

@Controller('rates')
@UseFilters(CircuitErrorFilter)
export class RatesController {
  constructor(private readonly rates: RatesService) {}

  // @circuit may stand above or below @Get: the route metadata is carried over either way.
  @Get(':base/:quote')
  @circuit({
    name: 'rates-api',
    failureThreshold: 2,
    recoveryTimeout: 30_000,
    timeout: 2_000,
    // Gets the handler's arguments, and the controller as `this`; an unknown pair rethrows.
    fallback(this: RatesController, error: unknown, base: string, quote: string, amount: number): Conversion {
      const seen = this.rates.lastSeen(base, quote);
      if (seen === undefined) throw error;
      return { base, quote, amount, converted: amount * seen.rate, stale: true };
    },
  })
  async convert(
    @Param('base') base: string,
    @Param('quote') quote: string,
    @Query('amount', new DefaultValuePipe(1), ParseFloatPipe) amount: number,
  ): Promise<Conversion> {
    const { rate } = await this.rates.fetchRate(base, quote);
    return { base, quote, amount, converted: amount * rate, stale: false };
  }
}
