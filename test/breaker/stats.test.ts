import { describe, expect, it } from 'vitest';
import { circuit, countWindow } from 'circuitry';
import { driven } from '../helpers/drive.js';

class Ignored extends Error {}
class TimeoutError extends Error {
  override name = 'TimeoutError';
}

describe('breaker.stats()', () => {
  it('adds up every outcome across state changes and never resets the counters', async () => {
    const d = driven({ failureThreshold: 2, expectedError: (e) => !(e instanceof Ignored) });
    const start = d.clock.now();
    const ignoring = circuit(async () => {
      throw new Ignored('x');
    }, d.breaker);
    const timingOut = circuit(async () => {
      throw new TimeoutError('slow');
    }, { breaker: d.breaker, fallback: () => 'cold' });
    await d.run('ok', 'ok', 'fail');
    await ignoring().catch(() => undefined);
    await timingOut(); // second consecutive failure: opens, served by the fallback
    await d.run('ok', 'ok'); // rejected
    await timingOut(); // rejected, served by the fallback
    d.clock.advance(1000);
    await d.run('ok'); // trial: closes
    expect(d.breaker.stats()).toEqual({
      name: 'anonymous',
      state: 'closed',
      since: start + 1000,
      successes: 3,
      failures: 2,
      timeouts: 1,
      rejections: 3,
      fallbacks: 2,
      ignored: 1,
      aborted: 0,
      consecutiveFailures: 0,
      window: undefined,
      retryAfter: 0,
      shadow: false,
      wouldReject: 0,
    });
  });

  it('shows the window of a window policy, and retryAfter while open', async () => {
    const d = driven({ policy: countWindow({ size: 4, failureRate: 0.5, minimumCalls: 4 }) });
    await d.run('fail', 'ok', 'ok');
    expect(d.breaker.stats().window).toEqual({ calls: 3, failures: 1, slowCalls: 0 });
    await d.run('fail');
    d.clock.advance(400);
    expect(d.breaker.stats()).toMatchObject({ state: 'open', retryAfter: 600, consecutiveFailures: 1 });
  });

  it('reports since as undefined before any change of state', () => {
    expect(driven().breaker.stats().since).toBeUndefined();
  });
});
