import { describe, expect, it } from 'vitest';
import { runStory } from '../../examples/offer-service/story.js';
import { manualClock } from '../helpers/manual-clock.js';

describe('examples/offer-service', () => {
  it('tells the whole story over real HTTP, with the clock driven by the test', async () => {
    const clock = manualClock();
    const changes: string[] = [];
    const steps = await runStory({
      recoveryTimeout: 1500,
      clock,
      wait: async (ms) => clock.advance(ms),
      onStateChange: (from, to) => changes.push(`${from}->${to}`),
    });
    const summary = steps.map((s) => [s.offer?.source ?? '-', s.state, s.consecutiveFailures, s.partnerRequests]);
    expect(summary).toEqual([
      ['partner', 'closed', 0, 1],
      ['fallback', 'closed', 1, 2],
      ['fallback', 'closed', 2, 3],
      ['fallback', 'open', 3, 4],
      ['fallback', 'open', 3, 4],
      ['fallback', 'open', 3, 4],
      ['-', 'half-open', 3, 4],
      ['partner', 'closed', 0, 5],
      ['partner', 'closed', 0, 6],
    ]);
    expect(steps[1]!.offer).toEqual({ offer: 'cold: free shipping', source: 'fallback' });
    expect(changes).toEqual(['closed->open', 'open->half-open', 'half-open->closed']);
  });
});
