// The package imports itself by name (kept external by the build), so this entry point and the
// main one share one module instance, and with it one defaultRegistry, under ESM and CommonJS.
import { defaultRegistry } from 'circuitry';
import type { CircuitBreaker, CircuitRegistry, CircuitState } from 'circuitry';
import { invalid, optionsObject } from '../check/check.js';

/** Options of {@link toPrometheus} and {@link registerPromClientMetrics}. */
export interface PrometheusOptions {
  /** The breakers to report. Default: `defaultRegistry`. */
  registry?: CircuitRegistry | undefined;
  /** Prepended to every metric name. Default `'circuitry_'`. */
  prefix?: string | undefined;
}

const STATES: readonly CircuitState[] = ['closed', 'open', 'half-open', 'isolated', 'disabled'];

interface Family {
  readonly name: string;
  readonly help: string;
  readonly type: 'gauge' | 'counter';
  readonly labelNames: readonly string[];
  readonly samples: (breaker: CircuitBreaker, circuit: string) => [labels: readonly string[], value: number][];
}

// One description of every metric serves both the text renderer and the prom-client adapter. The
// `circuit` label is the registry's key, not the breaker's name: breakers may share a name, and
// two series with the same labels would be refused by every scraper.
function families(prefix: string): Family[] {
  return [
    {
      name: `${prefix}state`,
      help: 'Circuit state: 1 for the state the circuit is in, 0 for the others.',
      type: 'gauge',
      labelNames: ['circuit', 'state'],
      samples: (b, circuit) => {
        const state = b.state;
        return STATES.map((s) => [[circuit, s], s === state ? 1 : 0]);
      },
    },
    {
      name: `${prefix}calls_total`,
      help: 'Calls by outcome: success, failure (counted), rejected (not run), ignored (an error that does not count), aborted (cancelled by its caller).',
      type: 'counter',
      labelNames: ['circuit', 'outcome'],
      samples: (b, circuit) => {
        const s = b.stats();
        return [
          [[circuit, 'success'], s.successes],
          [[circuit, 'failure'], s.failures],
          [[circuit, 'rejected'], s.rejections],
          [[circuit, 'ignored'], s.ignored],
          [[circuit, 'aborted'], s.aborted],
        ];
      },
    },
    {
      name: `${prefix}timeouts_total`,
      help: 'Counted failures whose error is named TimeoutError.',
      type: 'counter',
      labelNames: ['circuit'],
      samples: (b, circuit) => [[[circuit], b.stats().timeouts]],
    },
    {
      name: `${prefix}fallbacks_total`,
      help: 'Calls served by a fallback.',
      type: 'counter',
      labelNames: ['circuit'],
      samples: (b, circuit) => [[[circuit], b.stats().fallbacks]],
    },
    {
      name: `${prefix}consecutive_failures`,
      help: 'Counted failures in a row.',
      type: 'gauge',
      labelNames: ['circuit'],
      samples: (b, circuit) => [[[circuit], b.consecutiveFailures]],
    },
    {
      name: `${prefix}shadow`,
      help: 'Shadow mode: 1 while the breaker refuses nothing (its state is still judged), 0 otherwise.',
      type: 'gauge',
      labelNames: ['circuit'],
      samples: (b, circuit) => [[[circuit], b.stats().shadow ? 1 : 0]],
    },
  ];
}

function checkOptions(options: PrometheusOptions): { registry: CircuitRegistry; prefix: string } {
  const o = optionsObject(options, 'prometheus', ['registry', 'prefix']);
  const registry = (o.registry ?? defaultRegistry) as CircuitRegistry;
  const prefix = o.prefix ?? 'circuitry_';
  if (typeof (registry as Partial<CircuitRegistry> | null)?.entries !== 'function') invalid(TypeError, 'registry', 'a CircuitRegistry', registry);
  if (typeof prefix !== 'string' || !/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(prefix)) {
    invalid(TypeError, 'prefix', 'a Prometheus metric name prefix ([a-zA-Z_:][a-zA-Z0-9_:]*)', prefix);
  }
  return { registry, prefix };
}

/** A label value as the text format wants it: backslash, double quote and newline escaped. */
export function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/**
 * The breakers of a registry in the Prometheus text exposition format (version 0.0.4), ready to
 * serve from `/metrics` with `content-type: text/plain; version=0.0.4`.
 *
 * @example
 * ```ts
 * import { toPrometheus } from 'circuitry/prometheus';
 * http.createServer((req, res) => res.end(toPrometheus())).listen(9464);
 * ```
 */
export function toPrometheus(options: PrometheusOptions = {}): string {
  const { registry, prefix } = checkOptions(options);
  const breakers = registry.entries();
  const lines: string[] = [];
  for (const family of families(prefix)) {
    lines.push(`# HELP ${family.name} ${family.help}`, `# TYPE ${family.name} ${family.type}`);
    for (const [key, breaker] of breakers) {
      for (const [values, value] of family.samples(breaker, key)) {
        const labels = family.labelNames.map((label, i) => `${label}="${escapeLabelValue(values[i]!)}"`).join(',');
        lines.push(`${family.name}{${labels}} ${value}`);
      }
    }
  }
  return `${lines.join('\n')}\n`;
}

/**
 * The slice of prom-client's module this adapter uses; pass the module itself. The constructors
 * are typed loosely so that every prom-client version's own precise types fit.
 */
export interface PromClientLike {
  /** prom-client's `Gauge` class, for the state and consecutive-failure metrics. */
  Gauge: new (config: any) => unknown;
  /** prom-client's `Counter` class, for the cumulative call counts. */
  Counter: new (config: any) => unknown;
}

/** The configuration the adapter gives each prom-client metric. */
export interface PromMetricConfig {
  /** The metric name, prefix included. */
  name: string;
  /** The `# HELP` text. */
  help: string;
  /** The label names, `circuit` first. */
  labelNames: string[];
  /** The prom-client registry the metric joins. */
  registers: unknown[];
  /** Called by prom-client at each scrape: reads every breaker of the registry afresh. */
  collect(this: PromMetricLike): void;
}

/** The slice of a prom-client gauge or counter the adapter uses. */
export interface PromMetricLike {
  /** A gauge's setter. */
  set?(labels: Record<string, string>, value: number): void;
  /** A counter's increment. */
  inc?(labels: Record<string, string>, value: number): void;
  /** Drops every labelled value, so breakers that are gone leave no stale series. */
  reset(): void;
}

/**
 * Adds circuitry's metrics to a prom-client registry, for services that already run
 * prom-client. Pass your own prom-client module and registry; circuitry never imports it. Values
 * are read from the breakers whenever prom-client collects (a counter is reset and raised to the
 * breaker's cumulative count, which never goes down).
 *
 * @example
 * ```ts
 * import client from 'prom-client';
 * import { registerPromClientMetrics } from 'circuitry/prometheus';
 * registerPromClientMetrics(client, client.register);
 * ```
 */
export function registerPromClientMetrics(promClient: PromClientLike, promRegistry: unknown, options: PrometheusOptions = {}): void {
  if (typeof promClient?.Gauge !== 'function' || typeof promClient.Counter !== 'function') {
    invalid(TypeError, 'promClient', 'the prom-client module', promClient);
  }
  const { registry, prefix } = checkOptions(options);
  for (const family of families(prefix)) {
    const Metric = (family.type === 'counter' ? promClient.Counter : promClient.Gauge) as new (config: PromMetricConfig) => PromMetricLike;
    new Metric({
      name: family.name,
      help: family.help,
      labelNames: [...family.labelNames],
      registers: [promRegistry],
      collect() {
        this.reset();
        for (const [key, breaker] of registry.entries()) {
          for (const [values, value] of family.samples(breaker, key)) {
            const labels = Object.fromEntries(family.labelNames.map((label, i) => [label, values[i]!]));
            if (family.type === 'counter') this.inc!(labels, value);
            else this.set!(labels, value);
          }
        }
      },
    });
  }
}
