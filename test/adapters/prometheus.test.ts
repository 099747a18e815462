import client from 'prom-client';
import { describe, expect, it } from 'vitest';
import { CircuitBreaker, CircuitRegistry, circuit } from 'circuitry';
import { escapeLabelValue, registerPromClientMetrics, toPrometheus } from 'circuitry/prometheus';
import { parseExposition } from '../helpers/exposition.js';

async function populated() {
  const registry = new CircuitRegistry();
  const tricky = 'say "hi"\\now\nplease';
  const a = new CircuitBreaker({ name: 'users-api', registry, failureThreshold: 1 });
  const b = new CircuitBreaker({ name: tricky, registry });
  const ok = circuit(async () => 1, a);
  const bad = circuit(async () => {
    throw new Error('down');
  }, { breaker: a, fallback: () => 0 });
  await ok();
  await bad(); // opens users-api, served by the fallback
  await ok().catch(() => undefined); // rejected
  return { registry, a, b, tricky };
}

describe('toPrometheus', () => {
  it('renders state gauges and outcome counters that parse, with label values escaped', async () => {
    const { registry, tricky } = await populated();
    const text = toPrometheus({ registry });
    expect(text).toContain('circuitry_state{circuit="say \\"hi\\"\\\\now\\nplease",state="closed"} 1');
    const { types, samples } = parseExposition(text);
    expect(types).toEqual({
      circuitry_state: 'gauge',
      circuitry_calls_total: 'counter',
      circuitry_timeouts_total: 'counter',
      circuitry_fallbacks_total: 'counter',
      circuitry_consecutive_failures: 'gauge',
      circuitry_shadow: 'gauge',
      circuitry_window_failure_rate: 'gauge',
      circuitry_window_slow_call_rate: 'gauge',
      circuitry_retry_after_seconds: 'gauge',
      circuitry_ramp_share: 'gauge',
    });
    const value = (name: string, labels: Record<string, string>) =>
      samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
    expect(value('circuitry_state', { circuit: 'users-api', state: 'open' })).toBe(1);
    expect(value('circuitry_state', { circuit: 'users-api', state: 'closed' })).toBe(0);
    expect(value('circuitry_state', { circuit: tricky, state: 'closed' })).toBe(1);
    expect(value('circuitry_calls_total', { circuit: 'users-api', outcome: 'success' })).toBe(1);
    expect(value('circuitry_calls_total', { circuit: 'users-api', outcome: 'failure' })).toBe(1);
    expect(value('circuitry_calls_total', { circuit: 'users-api', outcome: 'rejected' })).toBe(1);
    expect(value('circuitry_fallbacks_total', { circuit: 'users-api' })).toBe(1);
    expect(samples.filter((s) => s.name === 'circuitry_state')).toHaveLength(10);
    expect(value('circuitry_shadow', { circuit: 'users-api' })).toBe(0);
  });

  it('shows a breaker in shadow mode with circuitry_shadow 1, its state still judged', async () => {
    const { registry, a } = await populated();
    a.configure({ shadow: true });
    const { samples } = parseExposition(toPrometheus({ registry }));
    const value = (name: string, labels: Record<string, string>) =>
      samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
    expect(value('circuitry_shadow', { circuit: 'users-api' })).toBe(1);
    expect(value('circuitry_state', { circuit: 'users-api', state: 'open' })).toBe(1);
  });

  it('shows the share a ramp admits as circuitry_ramp_share, only while it ramps', async () => {
    const registry = new CircuitRegistry();
    let now = 0;
    const clock = { now: () => now };
    const breaker = new CircuitBreaker({ name: 'ramping', registry, clock, failureThreshold: 1, recoveryTimeout: 1000, ramp: { duration: 2000, minShare: 0.25 } });
    const share = () => parseExposition(toPrometheus({ registry })).samples.find((s) => s.name === 'circuitry_ramp_share')?.value;
    await breaker.execute(() => Promise.reject(new Error('down'))).catch(() => undefined);
    expect(share()).toBeUndefined();
    now += 1000;
    await breaker.execute(() => 'ok');
    expect(share()).toBe(0.25);
    now += 1000;
    expect(share()).toBe(0.5);
    now += 1000;
    expect(share()).toBeUndefined();
  });

  it('escapes exactly backslash, double quote and newline', () => {
    expect(escapeLabelValue('a\\b"c\nd\te')).toBe('a\\\\b\\"c\\nd\te');
  });

  it('takes a prefix, and refuses one that is not a metric name', () => {
    const registry = new CircuitRegistry();
    new CircuitBreaker({ name: 'x', registry });
    expect(toPrometheus({ registry, prefix: 'svc_cb_' })).toContain('svc_cb_state{circuit="x",state="closed"} 1');
    expect(() => toPrometheus({ registry, prefix: '9bad' })).toThrow(TypeError);
  });

  it('refuses a misspelt option and a registry that is not one, naming them', () => {
    expect(() => toPrometheus({ prefx: 'svc_' } as never)).toThrow(new TypeError('unknown prometheus option "prefx"'));
    expect(() => toPrometheus({ registry: 'main' } as never)).toThrow(new TypeError('registry must be a CircuitRegistry, got "main" (a string)'));
    expect(() => toPrometheus('svc_' as never)).toThrow(new TypeError('prometheus options must be an object, got "svc_" (a string)'));
  });

  it('renders an empty registry as families without samples', () => {
    const { samples } = parseExposition(toPrometheus({ registry: new CircuitRegistry() }));
    expect(samples).toEqual([]);
  });
});

describe('registerPromClientMetrics (against the real prom-client)', () => {
  it('exposes the same figures through a prom-client registry, read at each scrape', async () => {
    const { registry, a } = await populated();
    const promRegistry = new client.Registry();
    registerPromClientMetrics(client, promRegistry, { registry });
    const first = parseExposition(await promRegistry.metrics());
    const calls = (s: ReturnType<typeof parseExposition>) =>
      s.samples.find((x) => x.name === 'circuitry_calls_total' && x.labels.circuit === 'users-api' && x.labels.outcome === 'rejected')?.value;
    expect(first.types.circuitry_calls_total).toBe('counter');
    expect(first.types.circuitry_state).toBe('gauge');
    expect(calls(first)).toBe(1);
    await circuit(async () => 1, a)().catch(() => undefined); // one more rejection
    expect(calls(parseExposition(await promRegistry.metrics()))).toBe(2);
    const state = first.samples.find((x) => x.name === 'circuitry_state' && x.labels.circuit === 'users-api' && x.labels.state === 'open');
    expect(state?.value).toBe(1);
  });

  it('refuses something that is not prom-client', () => {
    expect(() => registerPromClientMetrics({} as never, new client.Registry())).toThrow(new TypeError('promClient must be the prom-client module, got an object'));
  });
});
