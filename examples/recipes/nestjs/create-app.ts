// Nest's decorators and circuitry's metadata copy both need the polyfill before any class loads.
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { AppModule } from './app.module.js';

export async function createApp(ratesUrl: string): Promise<NestExpressApplication> {
  return NestFactory.create<NestExpressApplication>(AppModule.register(ratesUrl), { logger: false });
}
