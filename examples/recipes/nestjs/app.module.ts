import { Module } from '@nestjs/common';
import type { DynamicModule } from '@nestjs/common';
import { RatesController } from './rates.controller.js';
import { RATES_URL, RatesService } from './rates.service.js';

@Module({})
export class AppModule {
  static register(ratesUrl: string): DynamicModule {
    return { module: AppModule, controllers: [RatesController], providers: [RatesService, { provide: RATES_URL, useValue: ratesUrl }] };
  }
}
