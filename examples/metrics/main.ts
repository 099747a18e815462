// `node examples/dist/metrics/main.js`: a service whose dependency fails, seen through its
// state-change log, /health and /metrics.
import { startMetricsService } from './service.js';

let up = true;
const service = await startMetricsService({ inventoryUp: () => up, log: (line) => console.log(`[log] ${line}`) });
const get = async (path: string) => {
  const response = await fetch(`${service.url}${path}`);
  return { status: response.status, body: await response.text() };
};
try {
  console.log('GET /inventory/sku-1 ->', (await get('/inventory/sku-1')).status);
  up = false;
  for (let i = 0; i < 3; i++) console.log('GET /inventory/sku-1 ->', (await get('/inventory/sku-1')).status, '(inventory down)');
  const health = await get('/health');
  console.log('GET /health ->', health.status, health.body);
  console.log('GET /metrics ->\n' + (await get('/metrics')).body);
} finally {
  await service.close();
}
