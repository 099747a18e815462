import { describe, expect, it } from 'vitest';
import { startRetryService } from '../../examples/retry-service/service.js';
import { startUpstream } from '../../examples/retry-service/upstream.js';

describe('examples/retry-service', () => {
  it('retries a flaky upstream on one route and guards it with a fallback message on the other', async () => {
    const upstream = await startUpstream(3); // 2 of every 3 requests fail
    const service = await startRetryService({ upstreamUrl: upstream.url, retryWait: 0, recoveryTimeout: 60_000 });
    const get = async (path: string) => {
      const response = await fetch(`${service.url}${path}`);
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    };
    try {
      expect(await get('/quote/retry')).toEqual({ status: 200, body: { quote: 'all systems go', request: 3 } });
      expect(upstream.requests).toBe(3);

      upstream.down = true;
      expect(await get('/quote/retry')).toEqual({ status: 502, body: { error: 'UpstreamError: upstream answered 503', attempts: 3 } });
      expect(upstream.requests).toBe(6);

      const unavailable = { status: 200, body: { message: 'service temporarily unavailable' } };
      expect(await get('/quote/breaker')).toEqual(unavailable);
      expect(await get('/quote/breaker')).toEqual(unavailable);
      expect(service.breaker.state).toBe('open');
      expect(await get('/quote/breaker')).toEqual(unavailable);
      expect(upstream.requests).toBe(8); // the open circuit kept the third request from the upstream
    } finally {
      await service.close();
      await upstream.close();
    }
  });
});
