import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CircuitBreaker, CircuitRegistry, countWindow } from 'circuitry';
import { prometheusExporter } from 'circuitry/prometheus';
import { parseExposition } from '../helpers/exposition.js';

const folder = fileURLToPath(new URL('../../examples/metrics/', import.meta.url));

function promtool(...args: string[]) {
  const run = spawnSync('promtool', args, { cwd: folder, encoding: 'utf8' });
  if (run.error) throw new Error(`promtool is missing: run node scripts/ensure-tool.mjs promtool (${run.error.message})`);
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

/** Every metric name the exporter can serve, a histogram's series names included. */
function exportedNames(): Set<string> {
  const registry = new CircuitRegistry();
  const exporter = prometheusExporter({ registry });
  const breaker = new CircuitBreaker({ name: 'any', registry, policy: countWindow({ size: 10, failureRate: 0.5, minimumCalls: 5 }) });
  breaker.open();
  const { types } = parseExposition(exporter.metrics());
  exporter.close();
  const names = new Set<string>();
  for (const [name, type] of Object.entries(types)) {
    names.add(name);
    if (type === 'histogram') for (const suffix of ['_bucket', '_sum', '_count']) names.add(`${name}${suffix}`);
  }
  // Listed once a breaker has a store outage or a timed call; their names are fixed.
  names.add('circuitry_store_up');
  for (const suffix of ['_bucket', '_sum', '_count']) names.add(`circuitry_call_duration_seconds${suffix}`);
  return names;
}

const metricNamesIn = (expr: string) => [...expr.matchAll(/\b(circuitry_[a-z_]+)\b/g)].map((m) => m[1]!);

describe('examples/metrics alerting rules', () => {
  it('pass promtool check rules', () => {
    const check = promtool('check', 'rules', 'alerts.yml');
    expect(check.output).toContain('SUCCESS: 4 rules found');
    expect(check.status).toBe(0);
  });

  it('fire on the series that should fire them, and only those (promtool test rules)', () => {
    const test = promtool('test', 'rules', 'alerts.test.yml');
    expect(test.output).toContain('SUCCESS');
    expect(test.status).toBe(0);
  });

  it('read only metrics the exporter serves', () => {
    const names = exportedNames();
    const rules = readFileSync(`${folder}alerts.yml`, 'utf8');
    const used = [...rules.matchAll(/expr: (.*)/g)].flatMap((m) => metricNamesIn(m[1]!));
    expect(used.length).toBeGreaterThan(0);
    for (const name of used) expect(names, name).toContain(name);
  });
});

describe('examples/metrics Grafana dashboard', () => {
  it('is JSON whose every query reads metrics the exporter serves', () => {
    const dashboard = JSON.parse(readFileSync(`${folder}grafana-dashboard.json`, 'utf8')) as { panels: { targets: { expr: string }[] }[] };
    const names = exportedNames();
    const exprs = dashboard.panels.flatMap((panel) => panel.targets.map((target) => target.expr));
    expect(exprs.length).toBeGreaterThan(8);
    for (const expr of exprs) {
      expect(metricNamesIn(expr).length, expr).toBeGreaterThan(0);
      for (const name of metricNamesIn(expr)) expect(names, name).toContain(name);
    }
  });
});
