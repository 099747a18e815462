import { afterEach, describe, expect, it } from 'vitest';
import { CircuitBreaker, CircuitOpenError, CircuitRegistry, countWindow } from 'circuitry';
import { MAX_RETRY_AFTER_SECONDS, retryAfterSeconds, statusHandler } from 'circuitry/http';
import type { StatusHandlerOptions, StatusReport } from 'circuitry/http';
import { manualClock } from '../helpers/manual-clock.js';
import { serve } from '../helpers/http-server.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function started(options: StatusHandlerOptions = {}) {
  const clock = manualClock();
  const registry = new CircuitRegistry();
  const handler = statusHandler({ registry, ...options });
  const server = await serve((req, res) => handler(req, res));
  cleanups.push(() => server.close(), () => handler.close());
  return { clock, registry, handler, url: server.url };
}

/** Reads server-sent events from `response` until `count` events of a name other than a comment arrived. */
async function events(response: Response, count: number): Promise<{ event: string; data: unknown }[]> {
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  const found: { event: string; data: unknown }[] = [];
  let buffer = '';
  while (found.length < count) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += value;
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const event = /^event: (.*)$/m.exec(block)?.[1];
      const data = /^data: (.*)$/m.exec(block)?.[1];
      if (event !== undefined) found.push({ event, data: JSON.parse(data!) });
    }
  }
  await reader.cancel();
  return found;
}

describe('statusHandler: the JSON status', () => {
  it('lists every breaker with its state, consecutive failures, counts, window rates and retry after', async () => {
    const { clock, registry, url } = await started();
    const payments = new CircuitBreaker({ name: 'payments', registry, clock, failureThreshold: 1, recoveryTimeout: 30_000 });
    const search = new CircuitBreaker({ name: 'search', registry, clock, policy: countWindow({ size: 4, failureRate: 0.9, minimumCalls: 4 }) });
    await payments.execute(() => Promise.reject(new Error('secret token 123'))).catch(() => undefined);
    await search.execute(async () => 1);
    await search.execute(() => Promise.reject(new Error('x'))).catch(() => undefined);
    clock.advance(10_500);
    const response = await fetch(`${url}/status.json`);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    const report = (await response.json()) as StatusReport;
    expect(report.control).toBe(false);
    const [first, second] = report.circuits;
    expect(first).toMatchObject({ key: 'payments', name: 'payments', state: 'open', consecutiveFailures: 1, failures: 1, retryAfter: 19_500, retryAfterSeconds: 20, window: null });
    expect(second).toMatchObject({ key: 'search', state: 'closed', successes: 1, failures: 1, retryAfter: 0, retryAfterSeconds: null });
    expect(second!.window).toEqual({ calls: 2, failures: 1, slowCalls: 0, failureRate: 0.5, slowCallRate: 0 });
    expect(JSON.stringify(report)).not.toContain('secret token');
  });

  it('carries every field of stats(), so fields added later reach it unnamed', async () => {
    const { registry, url } = await started();
    const breaker = new CircuitBreaker({ name: 'all-fields', registry });
    const report = (await (await fetch(`${url}/status.json`)).json()) as StatusReport;
    for (const field of Object.keys(breaker.stats())) expect(report.circuits[0]).toHaveProperty(field);
  });

  it('shows error messages only when exposeErrors is on, and an isolated circuit with no retry time', async () => {
    const { registry, url } = await started({ exposeErrors: true });
    const breaker = new CircuitBreaker({ name: 'told', registry, failureThreshold: 2 });
    await breaker.execute(() => Promise.reject(new TypeError('bad gateway'))).catch(() => undefined);
    let report = (await (await fetch(`${url}/status.json`)).json()) as StatusReport;
    expect(report.circuits[0]!.lastFailure).toBe('TypeError: bad gateway');
    breaker.isolate();
    report = (await (await fetch(`${url}/status.json`)).json()) as StatusReport;
    expect(report.circuits[0]).toMatchObject({ state: 'isolated', retryAfter: null, retryAfterSeconds: null });
  });

  it('asks authorize before serving a read, and hides why a hook failed', async () => {
    const { url } = await started({ authorize: (req) => req.headers.authorization === 'Bearer ok' });
    expect((await fetch(`${url}/status.json`)).status).toBe(403);
    expect((await fetch(`${url}/`)).status).toBe(403);
    expect((await fetch(`${url}/status.json`, { headers: { authorization: 'Bearer ok' } })).status).toBe(200);
    const failing = await started({
      authorize: () => {
        throw new Error('db password is hunter2');
      },
    });
    const response = await fetch(`${failing.url}/status.json`);
    expect(response.status).toBe(500);
    expect(await response.text()).not.toContain('hunter2');
  });

  it('serves under a prefix, redirects to the page, and passes other paths to next', async () => {
    const handler = statusHandler({ registry: new CircuitRegistry(), prefix: '/circuits' });
    let passed = 0;
    const server = await serve((req, res) => handler(req, res, () => {
      passed++;
      res.writeHead(204).end();
    }));
    cleanups.push(() => server.close());
    expect((await fetch(`${server.url}/circuits/status.json`)).status).toBe(200);
    const redirect = await fetch(`${server.url}/circuits`, { redirect: 'manual' });
    expect([redirect.status, redirect.headers.get('location')]).toEqual([308, '/circuits/']);
    expect((await fetch(`${server.url}/elsewhere`)).status).toBe(204);
    expect((await fetch(`${server.url}/circuits/nope`)).status).toBe(204);
    expect(passed).toBe(2);
  });

  it('serves the page under a policy that allows no inline script, style or other origin', async () => {
    const { url } = await started();
    const page = await fetch(`${url}/`);
    const policy = page.headers.get('content-security-policy')!;
    expect(policy).toContain("script-src 'self'");
    expect(policy).not.toContain('unsafe');
    const html = await page.text();
    expect(html).not.toMatch(/<script>|<style>|https?:\/\//);
    const script = await (await fetch(`${url}/page.js`)).text();
    expect(script).not.toMatch(/innerHTML|eval\(|new Function|https?:\/\/(?!www\.w3\.org)/);
  });

  it('refuses a misspelt option and bad values, naming them', () => {
    expect(() => statusHandler({ maxStream: 4 } as never)).toThrow(new TypeError('unknown statusHandler option "maxStream"'));
    expect(() => statusHandler({ prefix: 'circuits/' })).toThrow(/prefix must be/);
    expect(() => statusHandler({ control: {} as never })).toThrow(/control must be/);
    expect(() => statusHandler({ maxStreams: 0 })).toThrow(/maxStreams/);
  });
});

describe('statusHandler: the event stream', () => {
  it('sends each transition as it happens, with the key and both states', async () => {
    const { registry, url } = await started();
    const breaker = new CircuitBreaker({ name: 'streamed', registry });
    const response = await fetch(`${url}/events`);
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const arriving = events(response, 2);
    breaker.open();
    breaker.close();
    const got = await arriving;
    expect(got.map(({ event, data }) => ({ event, ...(data as object), time: undefined }))).toEqual([
      { event: 'transition', key: 'streamed', name: 'streamed', from: 'closed', to: 'open', time: undefined },
      { event: 'transition', key: 'streamed', name: 'streamed', from: 'open', to: 'closed', time: undefined },
    ]);
  });

  it('caps its clients at maxStreams and lets a new one in after one leaves', async () => {
    const { handler, url } = await started({ maxStreams: 1 });
    const controller = new AbortController();
    const first = await fetch(`${url}/events`, { signal: controller.signal });
    expect(first.status).toBe(200);
    const refused = await fetch(`${url}/events`);
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('5');
    controller.abort();
    await first.body?.cancel().catch(() => undefined);
    await expect.poll(async () => {
      const again = await fetch(`${url}/events`);
      await again.body?.cancel();
      return again.status;
    }).toBe(200);
    handler.close();
  });

  it('stops listening to the registry once its last client leaves', async () => {
    const { registry, handler, url } = await started();
    const breaker = new CircuitBreaker({ name: 'quiet', registry });
    const response = await fetch(`${url}/events`);
    const arriving = events(response, 1);
    breaker.open();
    await arriving;
    handler.close();
    let listeners = 0;
    // With no client, a transition reaches no stream and nothing is written.
    const off = registry.on('stateChange', () => listeners++);
    breaker.close();
    off();
    expect(listeners).toBe(1);
  });
});

describe('statusHandler: control actions', () => {
  const post = (url: string, headers: Record<string, string> = { 'content-type': 'application/json', 'x-circuitry-control': '1' }, method = 'POST') =>
    fetch(url, { method, headers, ...(method === 'POST' && { body: '{}' }) });

  it('are off unless enabled', async () => {
    const { registry, url } = await started();
    const breaker = new CircuitBreaker({ name: 'locked', registry });
    expect((await post(`${url}/control?key=locked&action=open`)).status).toBe(404);
    expect(breaker.state).toBe('closed');
  });

  it('open, isolate and close a circuit when the hook allows it', async () => {
    const asked: string[] = [];
    const { registry, url } = await started({ control: { authorize: (_req, action, key) => (asked.push(`${action}:${key}`), true) } });
    const breaker = new CircuitBreaker({ name: 'pay & "go"', registry });
    const key = encodeURIComponent('pay & "go"');
    expect((await post(`${url}/control?key=${key}&action=open`)).status).toBe(200);
    expect(breaker.state).toBe('open');
    expect((await post(`${url}/control?key=${key}&action=isolate`)).status).toBe(200);
    expect(breaker.state).toBe('isolated');
    const closed = await post(`${url}/control?key=${key}&action=close`);
    expect(await closed.json()).toMatchObject({ key: 'pay & "go"', state: 'closed' });
    expect(asked).toEqual(['open:pay & "go"', 'isolate:pay & "go"', 'close:pay & "go"']);
    expect((await post(`${url}/control?key=nobody&action=open`)).status).toBe(404);
    expect((await post(`${url}/control?key=${key}&action=disable`)).status).toBe(400);
  });

  it('refuse what a cross-site page could send: GET, a form content type, no custom header, another origin', async () => {
    const { registry, url } = await started({ control: { authorize: () => true } });
    const breaker = new CircuitBreaker({ name: 'guarded', registry });
    const target = `${url}/control?key=guarded&action=open`;
    expect((await post(target, {}, 'GET')).status).toBe(405);
    expect((await post(target, { 'content-type': 'application/x-www-form-urlencoded', 'x-circuitry-control': '1' })).status).toBe(415);
    expect((await post(target, { 'content-type': 'application/json' })).status).toBe(403);
    expect((await post(target, { 'content-type': 'application/json', 'x-circuitry-control': '1', origin: 'https://evil.example' })).status).toBe(403);
    expect((await post(target, { 'content-type': 'application/json', 'x-circuitry-control': '1', 'sec-fetch-site': 'cross-site' })).status).toBe(403);
    expect(breaker.state).toBe('closed');
  });

  it('refuse when the hook says no', async () => {
    const { registry, url } = await started({ control: { authorize: () => false } });
    const breaker = new CircuitBreaker({ name: 'denied', registry });
    expect((await post(`${url}/control?key=denied&action=open`)).status).toBe(403);
    expect(breaker.state).toBe('closed');
  });
});

describe('retryAfterSeconds', () => {
  it('rounds a refusal up to whole seconds, at least 1, and gives undefined for an isolated circuit', async () => {
    const breaker = new CircuitBreaker({ failureThreshold: 1, recoveryTimeout: 1_200 });
    await breaker.execute(() => Promise.reject(new Error('down'))).catch(() => undefined);
    const refusal = await breaker.execute(async () => 1).catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(CircuitOpenError);
    expect(retryAfterSeconds(refusal)).toBe(2);
    expect(retryAfterSeconds(1)).toBe(1);
    expect(retryAfterSeconds(0)).toBe(1);
    expect(retryAfterSeconds(Infinity)).toBeUndefined();
    expect(retryAfterSeconds(new Error('no time'))).toBeUndefined();
    expect(retryAfterSeconds(1e12)).toBe(MAX_RETRY_AFTER_SECONDS);
  });
});
