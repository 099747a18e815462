// circuitry/prometheus renders a registry the main entry filled: both entries must see one
// registry, in every runtime.
import { CircuitBreaker, CircuitRegistry, circuit, defaultRegistry } from 'circuitry';
import { toPrometheus } from 'circuitry/prometheus';
import { eq, ok, rejection } from './assert.mjs';

export const prometheusChecks = {
  async toPrometheus() {
    const registry = new CircuitRegistry();
    const breaker = new CircuitBreaker({ name: 'smoke-api', registry, failureThreshold: 1, clock: { now: () => 0 } });
    await circuit(async () => 'ok', breaker)();
    await rejection(circuit(async () => Promise.reject(new Error('x')), breaker)(), 'a failure');
    const text = toPrometheus({ registry });
    for (const line of [
      'circuitry_state{circuit="smoke-api",state="open"} 1',
      'circuitry_state{circuit="smoke-api",state="closed"} 0',
      'circuitry_calls_total{circuit="smoke-api",outcome="success"} 1',
      'circuitry_calls_total{circuit="smoke-api",outcome="failure"} 1',
    ]) {
      ok(text.split('\n').includes(line), `toPrometheus() has the line ${line} in:\n${text}`);
    }
    new CircuitBreaker({ name: 'smoke-default', registry: defaultRegistry });
    ok(toPrometheus().includes('circuitry_state{circuit="smoke-default",state="closed"} 1'), 'the default registry is the main entry\'s');
    eq(typeof toPrometheus({ registry: new CircuitRegistry() }), 'string', 'an empty registry renders');
  },
};
