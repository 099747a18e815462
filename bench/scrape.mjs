// `node bench/scrape.mjs` (after `npm run build`): what one scrape of 100, 1,000 and 10,000
// breakers costs, against dist/, each case and size in a fresh process (a heap holding another
// case's breakers would bill this one for its collections). Per breaker, the median of several
// scrapes after a warm-up: toPrometheus() (default output), prometheusExporter().metrics() with
// and without call-duration histograms, the prom-client adapter's collection beside prom-client
// alone serving the same series, and the OpenTelemetry adapter's batch callback (what circuitry
// does per collection) beside the SDK's whole collection.
// `--dist=/other/dist` measures another build (a ratio to an older one).
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const arg = (name) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const dist = arg('dist') ?? fileURLToPath(new URL('../dist/', import.meta.url));
const sizes = (arg('sizes') ?? '100,1000,10000').split(',').map(Number);
const CASES = ['toPrometheus', 'exporter', 'prom-client', 'opentelemetry'];

if (arg('case') === undefined) {
  const rows = [];
  for (const n of sizes) {
    for (const name of CASES) {
      const out = execFileSync(process.execPath, [fileURLToPath(import.meta.url), `--dist=${dist}`, `--sizes=${n}`, `--case=${name}`], { encoding: 'utf8' });
      rows.push(...JSON.parse(out.trim().split('\n').at(-1)));
    }
  }
  console.table(rows);
  process.exit(0);
}
const only = arg('case');
const { CircuitBreaker, CircuitRegistry } = await import(`${dist}/index.js`);
const prometheus = await import(`${dist}/prometheus.js`);
const otel = await import(`${dist}/opentelemetry.js`).catch(() => undefined);

// The median, and the fastest scrape: on a busy machine the fastest is the code's own cost, the
// median what a collection by a neighbour adds to it.
function summary(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return { median: sorted[Math.floor(sorted.length / 2)], min: sorted[0] };
}

async function timeIt(fn, runs) {
  for (let i = 0; i < 3; i++) await fn();
  const times = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    await fn();
    times.push(performance.now() - start);
  }
  return summary(times);
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
const line = (name, n, { median, min }, bytes) => {
  rows.push({
    case: name,
    breakers: n,
    'ms per scrape': +median.toFixed(2),
    'µs per breaker': +((median * 1000) / n).toFixed(2),
    'fastest, µs per breaker': +((min * 1000) / n).toFixed(2),
    ...(bytes !== undefined && { 'bytes per breaker': Math.round(bytes / n) }),
  });
};

for (const n of sizes) {
  const runs = n >= 10_000 ? 15 : 31;
  if (only === 'toPrometheus') {
    const { registry, breakers } = await populate(n, {});
    await traffic(breakers);
    const text = prometheus.toPrometheus({ registry });
    line('toPrometheus()', n, await timeIt(() => prometheus.toPrometheus({ registry }), runs), text.length);
  }
  if (only === 'exporter' && prometheus.prometheusExporter) {
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
  if (only === 'prom-client') {
    const client = (await import('prom-client')).default;
    const { registry, breakers } = await populate(n, {});
    const promRegistry = new client.Registry();
    // Without durations, so that both serve the same series (a histogram is prom-client's own work).
    const registration = prometheus.registerPromClientMetrics(client, promRegistry, { registry, durations: false });
    await traffic(breakers);
    line('prom-client adapter (no durations): registry.metrics()', n, await timeIt(() => promRegistry.metrics(), runs));
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
  if (only === 'opentelemetry' && otel) {
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
console.log(JSON.stringify(rows));
