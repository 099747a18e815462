import 'reflect-metadata';
import assert from 'node:assert/strict';
import { after, afterEach, before, test } from 'node:test';
import { Controller, Get, Module, Query } from '@nestjs/common';
import { PATH_METADATA } from '@nestjs/common/constants.js';
import { NestFactory } from '@nestjs/core';
import type { INestApplication } from '@nestjs/common';
import { breakerOf, circuit } from 'circuitry';
import { manualClock } from '../test-support/manual-clock.js';
import { startUpstream } from '../test-support/upstream.js';
import type { Upstream } from '../test-support/upstream.js';
import { createApp } from './create-app.js';
import { RatesController } from './rates.controller.js';

let ratesApi: Upstream;
let app: INestApplication;
let base: string;
const clock = manualClock();

before(async () => {
  ratesApi = await startUpstream((path) => {
    const [, , from, to] = path.split('/');
    return { base: from, quote: to, rate: 1.5 };
  });
  app = await createApp(ratesApi.url);
  await app.listen(0, '127.0.0.1');
  base = await app.getUrl();
  // Decorator options are fixed when the class loads; configure() is how a test brings its clock.
  breakerOf(app.get(RatesController), 'convert').configure({ clock });
});
after(async () => {
  await app.close();
  await ratesApi.close();
});
afterEach(() => {
  breakerOf(app.get(RatesController), 'convert').reset();
  ratesApi.status = 200;
});

async function get(path: string) {
  const response = await fetch(`${base}${path}`);
  return { status: response.status, retryAfter: response.headers.get('retry-after'), body: (await response.json()) as Record<string, unknown> };
}

test('the route, its @Param and @Query pipes and the injected service all work through @circuit', async () => {
  assert.deepEqual(await get('/rates/EUR/USD?amount=10'), {
    status: 200,
    retryAfter: null,
    body: { base: 'EUR', quote: 'USD', amount: 10, converted: 15, stale: false },
  });
  assert.equal((await get('/rates/EUR/USD')).body.amount, 1, 'DefaultValuePipe ran');
  const bad = await get('/rates/EUR/USD?amount=lots');
  assert.equal(bad.status, 400, 'ParseFloatPipe ran, before the breaker');
  assert.equal(breakerOf(app.get(RatesController), 'convert').stats().failures, 0);
});

test('@circuit keeps the design-time types and route metadata Nest reads from the method', () => {
  const method = RatesController.prototype.convert;
  assert.deepEqual(Reflect.getMetadata('design:paramtypes', RatesController.prototype, 'convert'), [String, String, Number]);
  assert.equal(Reflect.getMetadata(PATH_METADATA, method), ':base/:quote');
});

test('while the rates API fails, a pair seen before is converted at its last rate, and the circuit opens', async () => {
  await get('/rates/EUR/GBP?amount=2');
  ratesApi.status = 503;
  const stale = { status: 200, retryAfter: null, body: { base: 'EUR', quote: 'GBP', amount: 2, converted: 3, stale: true } };
  assert.deepEqual(await get('/rates/EUR/GBP?amount=2'), stale);
  assert.deepEqual(await get('/rates/EUR/GBP?amount=2'), stale);
  assert.equal(breakerOf(app.get(RatesController), 'convert').state, 'open');
  const sent = ratesApi.requests;
  assert.deepEqual(await get('/rates/EUR/GBP?amount=2'), stale);
  assert.equal(ratesApi.requests, sent, 'the open circuit answered without asking the rates API');
});

test('a pair never seen: 502 while failing, 503 with Retry-After while open, live again after recoveryTimeout', async () => {
  ratesApi.status = 500;
  assert.equal((await get('/rates/USD/JPY')).status, 502);
  assert.equal((await get('/rates/USD/JPY')).status, 502);
  assert.deepEqual(await get('/rates/USD/JPY'), { status: 503, retryAfter: '30', body: { statusCode: 503, message: 'rates-api is unavailable' } });

  clock.advance(30_000);
  ratesApi.status = 200;
  assert.equal((await get('/rates/USD/JPY')).status, 200);
  assert.equal(breakerOf(app.get(RatesController), 'convert').state, 'closed');
});

test('decorator order does not matter: @circuit above @Get routes too', async (t) => {
  @Controller('ping')
  class PingController {
    @circuit({ failureThreshold: 1, fallback: () => ({ pong: 'fallback' }) })
    @Get()
    async ping(@Query('fail') fail?: string): Promise<{ pong: string }> {
      if (fail !== undefined) throw new Error('down');
      return { pong: 'live' };
    }
  }
  @Module({ controllers: [PingController] })
  class PingModule {}

  const ping = await NestFactory.create(PingModule, { logger: false });
  t.after(() => ping.close());
  await ping.listen(0, '127.0.0.1');
  const url = await ping.getUrl();
  assert.deepEqual(await (await fetch(`${url}/ping`)).json(), { pong: 'live' });
  assert.deepEqual(await (await fetch(`${url}/ping?fail`)).json(), { pong: 'fallback' });
  assert.equal(breakerOf(ping.get(PingController), 'ping').state, 'open');
});
