import { describe, expect, it } from 'vitest';
import { startMetricsService } from '../../examples/metrics/service.js';
import { parseExposition } from '../helpers/exposition.js';
import { manualClock } from '../helpers/manual-clock.js';

describe('examples/metrics', () => {
  it('serves /health and /metrics that follow the circuit, and logs each change in one line', async () => {
    const clock = manualClock();
    const lines: string[] = [];
    let up = true;
    const service = await startMetricsService({ inventoryUp: () => up, clock, log: (line) => lines.push(line) });
    const get = async (path: string) => {
      const response = await fetch(`${service.url}${path}`);
      return { status: response.status, body: await response.text(), type: response.headers.get('content-type'), retryAfter: response.headers.get('retry-after') };
    };
    try {
      expect((await get('/inventory/a')).status).toBe(200);
      expect((await get('/health')).status).toBe(200);
      up = false;
      expect((await get('/inventory/a')).status).toBe(502);
      expect((await get('/inventory/a')).status).toBe(502);
      const refused = await get('/inventory/a'); // rejected by the open circuit
      expect(refused.status).toBe(503);
      expect(refused.retryAfter).toBe('5');
      const health = await get('/health');
      expect(health.status).toBe(503);
      expect(JSON.parse(health.body)).toEqual({ open: ['inventory'] });

      const metrics = await get('/metrics');
      expect(metrics.type).toBe('text/plain; version=0.0.4');
      const { samples } = parseExposition(metrics.body);
      const find = (name: string, labels: Record<string, string>) =>
        samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
      expect(find('circuitry_state', { circuit: 'inventory', state: 'open' })).toBe(1);
      expect(find('circuitry_calls_total', { circuit: 'inventory', outcome: 'success' })).toBe(1);
      expect(find('circuitry_calls_total', { circuit: 'inventory', outcome: 'failure' })).toBe(2);
      expect(find('circuitry_calls_total', { circuit: 'inventory', outcome: 'rejected' })).toBe(1);
      expect(find('circuitry_transitions_total', { circuit: 'inventory', from: 'closed', to: 'open' })).toBe(1);
      expect(lines).toEqual(['circuit=inventory closed -> open failures=2 rejections=0 retryAfterMs=5000']);
      const status = JSON.parse((await get('/circuits/status.json')).body) as { circuits: { key: string; state: string }[] };
      expect(status.circuits).toEqual([expect.objectContaining({ key: 'inventory', state: 'open' })]);

      up = true;
      clock.advance(5_000);
      expect((await get('/inventory/a')).status).toBe(200);
      expect((await get('/health')).status).toBe(200);
      expect(lines.slice(1)).toEqual([
        'circuit=inventory open -> half-open failures=2 rejections=1 retryAfterMs=0',
        'circuit=inventory half-open -> closed failures=2 rejections=1 retryAfterMs=0',
      ]);
    } finally {
      await service.close();
    }
  });
});
