// circuitry/http, circuitry/opentelemetry and prometheusExporter, with no server and no SDK: a
// request and response as plain objects, a meter that records what it is given. They import no
// Node built-in, so they run wherever the main entry does.
import { CircuitBreaker, CircuitRegistry } from 'circuitry';
import { retryAfterSeconds, statusHandler } from 'circuitry/http';
import { registerOpenTelemetryMetrics } from 'circuitry/opentelemetry';
import { prometheusExporter } from 'circuitry/prometheus';
import { eq, ok } from './assert.mjs';

function exchange(handler, url) {
  return new Promise((resolve) => {
    const res = { status: 0, headers: {}, body: '' };
    handler(
      { method: 'GET', url, headers: {}, on() {} },
      {
        writeHead(status, headers) {
          res.status = status;
          res.headers = headers;
        },
        write(chunk) {
          res.body += chunk;
        },
        end(chunk = '') {
          res.body += chunk;
          resolve(res);
        },
        on() {},
      },
    );
  });
}

export const observabilityChecks = {
  async 'circuitry/http status.json'() {
    const registry = new CircuitRegistry();
    new CircuitBreaker({ name: 'smoke-http', registry, clock: { now: () => 0 } }).open();
    const handler = statusHandler({ registry });
    const res = await exchange(handler, '/status.json');
    eq(res.status, 200, 'status.json answers 200');
    const report = JSON.parse(res.body);
    eq(report.circuits[0].state, 'open', 'the open circuit is listed open');
    eq(retryAfterSeconds(report.circuits[0].retryAfter), 30, 'retryAfterSeconds of the default open period');
    ok((await exchange(handler, '/')).body.includes('<script src="page.js"'), 'the page is served');
    handler.close();
  },
  async 'prometheusExporter transitions'() {
    const registry = new CircuitRegistry();
    const exporter = prometheusExporter({ registry });
    new CircuitBreaker({ name: 'smoke-exporter', registry }).open();
    ok(exporter.metrics().includes('circuitry_transitions_total{circuit="smoke-exporter",from="closed",to="open"} 1'), 'a transition is counted');
    exporter.close();
  },
  async 'circuitry/opentelemetry'() {
    const added = [];
    let callback;
    const instrument = () => ({ add: (value, attributes) => added.push([value, attributes]), record() {} });
    const meter = {
      createHistogram: instrument,
      createCounter: instrument,
      createObservableGauge: () => ({}),
      createObservableCounter: () => ({}),
      createObservableUpDownCounter: () => ({}),
      addBatchObservableCallback: (cb) => void (callback = cb),
      removeBatchObservableCallback() {},
    };
    const registry = new CircuitRegistry();
    const registration = registerOpenTelemetryMetrics(meter, { registry });
    new CircuitBreaker({ name: 'smoke-otel', registry }).open();
    eq(added[0]?.[1]?.['circuitry.circuit.state'], 'open', 'a transition is added to the counter');
    let observed = 0;
    callback({ observe: () => observed++ });
    ok(observed > 0, 'the batch callback observes the breaker');
    registration.close();
  },
};
