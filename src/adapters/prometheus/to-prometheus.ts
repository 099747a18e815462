import type { PrometheusOptions } from './options.js';
import { checkPrometheusOptions } from './options.js';
import { renderRegistry } from './render.js';

/**
 * The breakers of a registry in the Prometheus text exposition format (version 0.0.4), ready to
 * serve from `/metrics` with `content-type: text/plain; version=0.0.4`. A pull that watches
 * nothing: what only events tell (transitions, the store's health, call durations) needs
 * {@link prometheusExporter}.
 *
 * @example
 * ```ts
 * import { toPrometheus } from 'circuitry/prometheus';
 * http.createServer((req, res) => res.end(toPrometheus())).listen(9464);
 * ```
 */
export function toPrometheus(options: PrometheusOptions = {}): string {
  const { registry, naming } = checkPrometheusOptions(options);
  const families = naming.families.filter((family) => family.observed !== true);
  return renderRegistry(naming, families, registry, undefined);
}
