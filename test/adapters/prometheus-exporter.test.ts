import client from 'prom-client';
import { describe, expect, it } from 'vitest';
import { CircuitBreaker, CircuitRegistry, countWindow } from 'circuitry';
import { prometheusExporter, registerPromClientMetrics, toPrometheus } from 'circuitry/prometheus';
import { sharedStore } from 'circuitry/store';
import { parseExposition } from '../helpers/exposition.js';
import { memoryBackend } from '../helpers/memory-backend.js';
import { manualClock } from '../helpers/manual-clock.js';
import { promtoolCheckMetrics } from '../helpers/promtool.js';

const fail = () => Promise.reject(new Error('down'));

function valueOf(text: string, name: string, labels: Record<string, string>): number | undefined {
  return parseExposition(text).samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
}

async function busy() {
  const clock = manualClock();
  const registry = new CircuitRegistry();
  const exporter = prometheusExporter({ registry, durations: { buckets: [0.1, 1] } });
  const breaker = new CircuitBreaker({ name: 'payments', registry, clock, failureThreshold: 1, recoveryTimeout: 1_000 });
  const timed = (ms: number, ok: boolean) =>
    breaker.execute(async () => {
      clock.advance(ms);
      if (!ok) throw new Error('down');
    });
  await timed(50, true);
  await timed(400, true);
  await timed(2_000, false).catch(() => undefined); // opens
  clock.advance(1_000);
  await timed(20, true); // a trial that closes it
  return { clock, registry, exporter, breaker };
}

describe('prometheusExporter', () => {
  it('counts every transition, even an opening no scrape would see', async () => {
    const { exporter } = await busy();
    const text = exporter.metrics();
    expect(valueOf(text, 'circuitry_transitions_total', { circuit: 'payments', from: 'closed', to: 'open' })).toBe(1);
    expect(valueOf(text, 'circuitry_transitions_total', { circuit: 'payments', from: 'open', to: 'half-open' })).toBe(1);
    expect(valueOf(text, 'circuitry_transitions_total', { circuit: 'payments', from: 'half-open', to: 'closed' })).toBe(1);
    expect(valueOf(text, 'circuitry_state', { circuit: 'payments', state: 'closed' })).toBe(1);
  });

  it('measures call durations in seconds on the breaker clock, in cumulative buckets by outcome', async () => {
    const { exporter } = await busy();
    const text = exporter.metrics();
    const bucket = (outcome: string, le: string) => valueOf(text, 'circuitry_call_duration_seconds_bucket', { circuit: 'payments', outcome, le });
    expect([bucket('success', '0.1'), bucket('success', '1'), bucket('success', '+Inf')]).toEqual([2, 3, 3]);
    expect(valueOf(text, 'circuitry_call_duration_seconds_sum', { circuit: 'payments', outcome: 'success' })).toBeCloseTo(0.47);
    expect(valueOf(text, 'circuitry_call_duration_seconds_count', { circuit: 'payments', outcome: 'failure' })).toBe(1);
    expect(bucket('failure', '1')).toBe(0);
    expect(bucket('ignored', '+Inf')).toBeUndefined();
  });

  it('counts a sampled call as the calls it stands for, and leaves the untimed ones out', async () => {
    const clock = manualClock();
    const registry = new CircuitRegistry();
    const exporter = prometheusExporter({ registry, durations: { buckets: [0.1, 1] } });
    const breaker = new CircuitBreaker({ name: 'sampled', registry, clock, measureDurations: { sampleRate: 0.25 } });
    for (let i = 0; i < 8; i++) {
      await breaker.execute(async () => {
        clock.advance(50);
      });
    }
    const text = exporter.metrics();
    expect(valueOf(text, 'circuitry_call_duration_seconds_count', { circuit: 'sampled', outcome: 'success' })).toBe(8);
    expect(valueOf(text, 'circuitry_call_duration_seconds_bucket', { circuit: 'sampled', outcome: 'success', le: '0.1' })).toBe(8);
    expect(valueOf(text, 'circuitry_call_duration_seconds_sum', { circuit: 'sampled', outcome: 'success' })).toBeCloseTo(0.4);
  });

  it('serves text that promtool check metrics accepts, in both namings', async () => {
    const { registry, exporter } = await busy();
    new CircuitBreaker({ name: 'say "hi"\\now\nplease', registry, policy: countWindow({ size: 10, failureRate: 0.5, minimumCalls: 5 }) });
    const r4j = prometheusExporter({ registry, names: 'resilience4j' });
    await registry.get('payments')!.execute(async () => 1);
    for (const text of [exporter.metrics(), toPrometheus({ registry }), r4j.metrics(), toPrometheus({ registry, names: 'resilience4j' })]) {
      const check = promtoolCheckMetrics(text);
      expect(check.output).toBe('');
      expect(check.status).toBe(0);
    }
  });

  it('reads window rates from stats().window', async () => {
    const registry = new CircuitRegistry();
    const breaker = new CircuitBreaker({ name: 'windowed', registry, policy: countWindow({ size: 4, failureRate: 0.9, minimumCalls: 4 }) });
    await breaker.execute(async () => 1);
    await breaker.execute(fail).catch(() => undefined);
    const text = toPrometheus({ registry });
    expect(valueOf(text, 'circuitry_window_failure_rate', { circuit: 'windowed' })).toBe(0.5);
    expect(valueOf(text, 'circuitry_window_slow_call_rate', { circuit: 'windowed' })).toBe(0);
    const r4j = toPrometheus({ registry, names: 'resilience4j' });
    expect(valueOf(r4j, 'resilience4j_circuitbreaker_failure_rate', { name: 'windowed' })).toBe(50);
    expect(valueOf(r4j, 'resilience4j_circuitbreaker_buffered_calls', { name: 'windowed', kind: 'failed' })).toBe(1);
  });

  it("reports a store's outage per breaker, from storeDown to storeUp", async () => {
    let now = 1_000_000;
    const clock = { now: () => now };
    const { backend, control } = memoryBackend(clock.now);
    const store = sharedStore(backend, { syncInterval: 600_000 });
    const registry = new CircuitRegistry();
    const exporter = prometheusExporter({ registry, durations: false });
    const breaker = new CircuitBreaker({ name: 'stored', registry, clock, store, reportError: () => {} });
    const sync = async () => {
      now += 100;
      await store.sync();
      for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
    };
    await sync();
    expect(valueOf(exporter.metrics(), 'circuitry_store_up', { circuit: 'stored' })).toBeUndefined();
    control.down = true;
    await sync();
    expect(valueOf(exporter.metrics(), 'circuitry_store_up', { circuit: 'stored' })).toBe(0);
    control.down = false;
    await sync();
    expect(valueOf(exporter.metrics(), 'circuitry_store_up', { circuit: 'stored' })).toBe(1);
    expect(breaker.state).toBe('closed');
    store.close?.();
  });

  it('offers resilience4j names and labels, mapping states to theirs', async () => {
    const registry = new CircuitRegistry();
    const breaker = new CircuitBreaker({ name: 'orders', registry, failureThreshold: 1 });
    await breaker.execute(fail).catch(() => undefined);
    await breaker.execute(fail).catch(() => undefined); // rejected
    const exporter = prometheusExporter({ registry, names: 'resilience4j' });
    breaker.isolate();
    const text = exporter.metrics();
    expect(valueOf(text, 'resilience4j_circuitbreaker_state', { name: 'orders', state: 'forced_open' })).toBe(1);
    expect(valueOf(text, 'resilience4j_circuitbreaker_state', { name: 'orders', state: 'open' })).toBe(0);
    expect(valueOf(text, 'resilience4j_circuitbreaker_not_permitted_calls_total', { name: 'orders', kind: 'not_permitted' })).toBe(1);
    expect(valueOf(text, 'resilience4j_circuitbreaker_failure_rate', { name: 'orders' })).toBe(-1);
    expect(valueOf(toPrometheus({ registry, names: 'resilience4j' }), 'resilience4j_circuitbreaker_calls_seconds_count', { name: 'orders', kind: 'failed' })).toBe(1);
  });

  it('stops counting once closed, and forgets a collected breaker', async () => {
    const registry = new CircuitRegistry();
    const exporter = prometheusExporter({ registry });
    const breaker = new CircuitBreaker({ name: 'closing', registry });
    breaker.open();
    exporter.close();
    breaker.close();
    const text = exporter.metrics();
    expect(valueOf(text, 'circuitry_transitions_total', { circuit: 'closing', to: 'open' })).toBe(1);
    expect(valueOf(text, 'circuitry_transitions_total', { circuit: 'closing', to: 'closed' })).toBeUndefined();
  });

  it('refuses durations that are not increasing bounds, naming the option', () => {
    expect(() => prometheusExporter({ durations: { buckets: [1, 0.5] } })).toThrow(/durations\.buckets must be/);
    expect(() => prometheusExporter({ durations: { bucket: [1] } } as never)).toThrow(new TypeError('unknown durations option "bucket"'));
    expect(() => prometheusExporter({ names: 'hystrix' } as never)).toThrow(/names must be/);
  });
});

describe('registerPromClientMetrics, with durations and transitions', () => {
  it('serves what the exporter serves, through prom-client, durations in a prom-client Histogram', async () => {
    const clock = manualClock();
    const registry = new CircuitRegistry();
    const promRegistry = new client.Registry();
    const registration = registerPromClientMetrics(client, promRegistry, { registry, durations: { buckets: [0.1, 1] } });
    const breaker = new CircuitBreaker({ name: 'inventory', registry, clock, failureThreshold: 1 });
    await breaker.execute(async () => clock.advance(300));
    await breaker.execute(fail).catch(() => undefined);
    const text = await promRegistry.metrics();
    expect(valueOf(text, 'circuitry_call_duration_seconds_bucket', { circuit: 'inventory', outcome: 'success', le: '1' })).toBe(1);
    expect(valueOf(text, 'circuitry_call_duration_seconds_bucket', { circuit: 'inventory', outcome: 'success', le: '0.1' })).toBe(0);
    expect(valueOf(text, 'circuitry_transitions_total', { circuit: 'inventory', from: 'closed', to: 'open' })).toBe(1);
    expect(valueOf(text, 'circuitry_state', { circuit: 'inventory', state: 'open' })).toBe(1);
    expect(promtoolCheckMetrics(text).status).toBe(0);
    registration.close();
  });

  it('refuses a registry that is not prom-client\'s, naming it', () => {
    expect(() => registerPromClientMetrics(client, {})).toThrow(/promRegistry must be a prom-client Registry/);
  });

  it('measures no durations for a prom-client module without Histogram', async () => {
    const registry = new CircuitRegistry();
    const promRegistry = new client.Registry();
    registerPromClientMetrics({ Gauge: client.Gauge, Counter: client.Counter }, promRegistry, { registry });
    const breaker = new CircuitBreaker({ name: 'plain', registry });
    await breaker.execute(async () => 1);
    const text = await promRegistry.metrics();
    expect(text).not.toContain('call_duration');
    expect(valueOf(text, 'circuitry_calls_total', { circuit: 'plain', outcome: 'success' })).toBe(1);
  });
});
