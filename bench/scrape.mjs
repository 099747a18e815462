// `node bench/scrape.mjs` (after `npm run build`): what one scrape of 100, 1,000 and 10,000
// breakers costs, against dist/. Per breaker, median of several scrapes after a warm-up:
// toPrometheus() (default output), prometheusExporter().metrics() with and without call-duration
// histograms, the prom-client adapter's collection, and the OpenTelemetry adapter's batch
// callback (what circuitry does per collection) beside the SDK's whole collection.
// `--dist=/other/dist` measures another build (a ratio to an older one).
import { fileURLToPath } from 'node:url';

const distArg = process.argv.find((a) => a.startsWith('--dist='))?.slice(7);
const dist = distArg ?? fileURLToPath(new URL('../dist/', import.meta.url));
const { CircuitBreaker, CircuitRegistry } = await import(`${dist}/index.js`);
const prometheus = await import(`${dist}/prometheus.js`);
const otel = await import(`${dist}/opentelemetry.js`).catch(() => undefined);
const sizes = (process.argv.find((a) => a.startsWith('--sizes='))?.slice(8) ?? '100,1000,10000').split(',').map(Number);

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

async function timeIt(fn, runs) {
  for (let i = 0; i < 3; i++) await fn();
  const times = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    await fn();
    times.push(performance.now() - start);
  }
  return median(times);
}

async function populate(n, { timed }) {
  const registry = new CircuitRegistry();
  const breakers = [];
  for (let i = 0; i < n; i++) breakers.push(new CircuitBreaker({ name: `service-${i}.dependency`, registry, failureThreshold: 5 }));
  return { registry, breakers, timed };
}

// Calls so that the exporter holds a histogram per breaker (success, and a failure on every tenth).
async function traffic(breakers) {
  for (let i = 0; i < breakers.length; i++) {
    await breakers[i].execute(() => 1);
    if (i % 10 === 0) await breakers[i].execute(() => Promise.reject(new Error('x'))).catch(() => undefined);
  }
}

const rows = [];
const line = (name, n, ms, bytes) => {
  rows.push({ case: name, breakers: n, 'ms per scrape': +ms.toFixed(2), 'µs per breaker': +((ms * 1000) / n).toFixed(2), ...(bytes !== undefined && { 'bytes per breaker': Math.round(bytes / n) }) });
};

for (const n of sizes) {
  const runs = n >= 10_000 ? 9 : 25;
  {
    const { registry, breakers } = await populate(n, {});
    await traffic(breakers);
    const text = prometheus.toPrometheus({ registry });
    line('toPrometheus()', n, await timeIt(() => prometheus.toPrometheus({ registry }), runs), text.length);
  }
  if (prometheus.prometheusExporter) {
    for (const durations of [false, undefined]) {
      const { registry, breakers } = await populate(n, {});
      const exporter = prometheus.prometheusExporter({ registry, durations });
      await traffic(breakers);
      breakers[0].open();
      const text = exporter.metrics();
      line(`prometheusExporter ${durations === false ? 'without' : 'with'} durations`, n, await timeIt(() => exporter.metrics(), runs), text.length);
      exporter.close();
    }
  }
  {
    const client = (await import('prom-client')).default;
    const { registry, breakers } = await populate(n, {});
    const promRegistry = new client.Registry();
    const registration = prometheus.registerPromClientMetrics(client, promRegistry, { registry });
    await traffic(breakers);
    line('prom-client adapter: registry.metrics()', n, await timeIt(() => promRegistry.metrics(), runs));
    // prom-client's own cost for the same series with no circuitry in it: each metric rebuilt
    // from the adapter's output with its values set beforehand. The difference is the adapter's.
    const bare = new client.Registry();
    for (const metric of await promRegistry.getMetricsAsJSON()) {
      if (metric.type === 'histogram') continue;
      const labelNames = [...new Set(metric.values.flatMap((v) => Object.keys(v.labels)))];
      const Metric = metric.type === 'counter' ? client.Counter : client.Gauge;
      const copy = new Metric({ name: metric.name, help: metric.help, labelNames, registers: [bare] });
      for (const v of metric.values) metric.type === 'counter' ? copy.inc(v.labels, v.value) : copy.set(v.labels, v.value);
    }
    line('prom-client alone, the same series set beforehand', n, await timeIt(() => bare.metrics(), runs));
    registration?.close?.();
  }
  if (otel) {
    const { MeterProvider, MetricReader } = await import('@opentelemetry/sdk-metrics');
    class Reader extends MetricReader {
      async onForceFlush() {}
      async onShutdown() {}
    }
    const { registry, breakers } = await populate(n, {});
    const reader = new Reader();
    const provider = new MeterProvider({ readers: [reader] });
    const meter = provider.getMeter('bench');
    // Circuitry's share: the batch callback, with observations that cost nothing.
    let callback;
    const spy = new Proxy(meter, {
      get: (target, key) =>
        key === 'addBatchObservableCallback'
          ? (cb, observables) => {
              callback = cb;
              return target.addBatchObservableCallback(cb, observables);
            }
          : typeof target[key] === 'function'
            ? target[key].bind(target)
            : target[key],
    });
    otel.registerOpenTelemetryMetrics(spy, { registry });
    await traffic(breakers);
    const noop = { observe() {} };
    line('OpenTelemetry adapter: its batch callback alone', n, await timeIt(() => callback(noop), runs));
    line('OpenTelemetry SDK collect() with the adapter', n, await timeIt(() => reader.collect(), runs));
    await provider.shutdown();
  }
}
console.table(rows);
