// `npm run example:metrics`: a service whose dependency fails now and then, seen through its
// state-change log, /health, /metrics and the live page at /circuits/. It serves until Ctrl-C;
// `npm run example:metrics -- --once` tells the story once and exits.
import { startMetricsService } from './service.js';

let up = true;
const once = process.argv.includes('--once');
const service = await startMetricsService({
  inventoryUp: () => up,
  log: (line) => console.log(`[log] ${line}`),
  ...(!once && process.env.PORT !== undefined && { port: Number(process.env.PORT) }),
});
const get = async (path: string) => {
  const response = await fetch(`${service.url}${path}`);
  return { status: response.status, body: await response.text(), retryAfter: response.headers.get('retry-after') };
};

if (once) {
  try {
    console.log('GET /inventory/sku-1 ->', (await get('/inventory/sku-1')).status);
    up = false;
    for (let i = 0; i < 3; i++) {
      const answer = await get('/inventory/sku-1');
      console.log('GET /inventory/sku-1 ->', answer.status, answer.retryAfter === null ? '(inventory down)' : `(refused, retry-after ${answer.retryAfter})`);
    }
    const health = await get('/health');
    console.log('GET /health ->', health.status, health.body);
    console.log('GET /metrics ->\n' + (await get('/metrics')).body);
  } finally {
    await service.close();
  }
} else {
  // Traffic every 200 ms, and the dependency down for 12 s of every 30 s: the page's sparkline
  // moves, and the circuit opens, probes and closes while you watch.
  const traffic = setInterval(() => void get('/inventory/sku-1').catch(() => undefined), 200);
  const started = Date.now();
  const weather = setInterval(() => (up = (Date.now() - started) % 30_000 < 18_000), 500);
  console.log(`status page: ${service.url}/circuits/   metrics: ${service.url}/metrics   (Ctrl-C stops)`);
  process.once('SIGINT', () => {
    clearInterval(traffic);
    clearInterval(weather);
    void service.close().then(() => process.exit(0));
  });
}
