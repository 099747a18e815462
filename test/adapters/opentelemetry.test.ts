import { AggregationTemporality, InMemoryMetricExporter, MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import type { MetricData, ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { afterEach, describe, expect, it } from 'vitest';
import { CircuitBreaker, CircuitRegistry, countWindow } from 'circuitry';
import { registerOpenTelemetryMetrics } from 'circuitry/opentelemetry';
import { manualClock } from '../helpers/manual-clock.js';

const providers: MeterProvider[] = [];
afterEach(async () => {
  for (const provider of providers.splice(0)) await provider.shutdown();
});

/** A meter on the real SDK, read on demand through an in-memory exporter. */
function sdk() {
  const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  // The interval is never waited for: forceFlush collects and exports at once.
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
  const provider = new MeterProvider({ readers: [reader] });
  providers.push(provider);
  const collect = async (): Promise<MetricData[]> => {
    exporter.reset();
    await provider.forceFlush();
    const batches: ResourceMetrics[] = exporter.getMetrics();
    return batches.at(-1)?.scopeMetrics.flatMap((scope) => scope.metrics) ?? [];
  };
  return { meter: provider.getMeter('test'), collect };
}

function points(metrics: MetricData[], name: string) {
  const metric = metrics.find((m) => m.descriptor.name === name);
  return (metric?.dataPoints ?? []) as { attributes: Record<string, unknown>; value: unknown }[];
}

describe('registerOpenTelemetryMetrics', () => {
  it('reports state, calls, transitions and consecutive failures through the SDK', async () => {
    const { meter, collect } = sdk();
    const registry = new CircuitRegistry();
    registerOpenTelemetryMetrics(meter, { registry });
    const breaker = new CircuitBreaker({ name: 'payments', registry, failureThreshold: 1 });
    await breaker.execute(async () => 1);
    await breaker.execute(() => Promise.reject(new Error('down'))).catch(() => undefined);
    await breaker.execute(async () => 1).catch(() => undefined); // rejected
    const metrics = await collect();
    const state = points(metrics, 'circuitry.circuit.state');
    expect(state.find((p) => p.attributes['circuitry.circuit.state'] === 'open')).toMatchObject({ attributes: { 'circuitry.circuit.name': 'payments' }, value: 1 });
    expect(state.filter((p) => p.value === 0)).toHaveLength(4);
    const calls = Object.fromEntries(points(metrics, 'circuitry.calls').map((p) => [p.attributes['circuitry.call.outcome'], p.value]));
    expect(calls).toEqual({ success: 1, failure: 1, rejected: 1, ignored: 0, aborted: 0 });
    expect(points(metrics, 'circuitry.circuit.transitions')).toEqual([
      expect.objectContaining({ attributes: { 'circuitry.circuit.name': 'payments', 'circuitry.circuit.state.from': 'closed', 'circuitry.circuit.state': 'open' }, value: 1 }),
    ]);
    expect(points(metrics, 'circuitry.circuit.consecutive_failures')[0]!.value).toBe(1);
    const descriptor = metrics.find((m) => m.descriptor.name === 'circuitry.circuit.state')!.descriptor;
    expect(descriptor.unit).toBe('{circuit}');
  });

  it('records call durations in seconds on the breaker clock, in the bucket bounds given', async () => {
    const { meter, collect } = sdk();
    const clock = manualClock();
    const registry = new CircuitRegistry();
    registerOpenTelemetryMetrics(meter, { registry, durations: { buckets: [0.1, 1] } });
    const breaker = new CircuitBreaker({ name: 'search', registry, clock });
    await breaker.execute(async () => clock.advance(50));
    await breaker.execute(async () => clock.advance(700));
    const [point] = points(await collect(), 'circuitry.call.duration');
    expect(point!.attributes).toEqual({ 'circuitry.circuit.name': 'search', 'circuitry.call.outcome': 'success' });
    const histogram = point!.value as { count: number; sum: number; buckets: { boundaries: number[]; counts: number[] } };
    expect(histogram.count).toBe(2);
    expect(histogram.sum).toBeCloseTo(0.75);
    expect(histogram.buckets).toEqual({ boundaries: [0.1, 1], counts: [1, 1, 0] });
  });

  it('reports window rates for breakers with a window, and nothing more once closed', async () => {
    const { meter, collect } = sdk();
    const registry = new CircuitRegistry();
    const registration = registerOpenTelemetryMetrics(meter, { registry, durations: false });
    const breaker = new CircuitBreaker({ name: 'windowed', registry, policy: countWindow({ size: 4, failureRate: 0.9, minimumCalls: 4 }) });
    new CircuitBreaker({ name: 'plain', registry });
    await breaker.execute(async () => 1);
    await breaker.execute(() => Promise.reject(new Error('x'))).catch(() => undefined);
    let metrics = await collect();
    expect(points(metrics, 'circuitry.window.failure_rate')).toEqual([expect.objectContaining({ attributes: { 'circuitry.circuit.name': 'windowed' }, value: 0.5 })]);
    expect(points(metrics, 'circuitry.call.duration')).toEqual([]);
    registration.close();
    breaker.open();
    metrics = await collect();
    // Cumulative points keep their last value: the one observed before close, not the state now.
    const open = points(metrics, 'circuitry.circuit.state').find((p) => p.attributes['circuitry.circuit.name'] === 'windowed' && p.attributes['circuitry.circuit.state'] === 'open');
    expect(open?.value).toBe(0);
    expect(points(metrics, 'circuitry.circuit.transitions')).toEqual([]);
  });

  it('refuses what is not a meter, and a misspelt option', () => {
    expect(() => registerOpenTelemetryMetrics({} as never)).toThrow(/meter must be an OpenTelemetry Meter/);
    const { meter } = sdk();
    expect(() => registerOpenTelemetryMetrics(meter, { registy: new CircuitRegistry() } as never)).toThrow(new TypeError('unknown registerOpenTelemetryMetrics option "registy"'));
  });
});
