import type { CircuitRegistry } from 'circuitry';
import type { Observations } from '../watch/observations.js';
import { escapeLabelValue } from './escape.js';
import type { Extra, Family, Naming, Row } from './families.js';

/** Every breaker of `registry` read once: `stats()` is the costly part of a scrape. */
export function readRows(registry: CircuitRegistry, observations: Observations | undefined): Row[] {
  const entries = registry.entries();
  const rows: Row[] = new Array(entries.length);
  for (let i = 0; i < entries.length; i++) {
    const [key, breaker] = entries[i]!;
    rows[i] = { key, breaker, stats: breaker.stats(), observed: observations?.of(breaker) };
  }
  return rows;
}

/** A number as the text format writes it. */
function formatValue(value: number): string {
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return `${value}`;
}

/**
 * The text exposition format (0.0.4) of `families` over `rows`: each family's samples together,
 * as the format requires. Built as an array joined once; a breaker's label is escaped once.
 */
export function renderText(naming: Naming, families: readonly Family[], rows: readonly Row[]): string {
  const lines: string[] = [];
  const labelled = rows.map((row) => `${naming.circuitLabel}="${escapeLabelValue(row.key)}"`);
  for (const family of families) {
    const name = family.name;
    lines.push(`# HELP ${name} ${family.help}`, `# TYPE ${name} ${family.type}`);
    let own = '';
    const put = (value: number, extra?: Extra, suffix = '') => {
      lines.push(extra === undefined ? `${name}${suffix}{${own}} ${formatValue(value)}` : `${name}${suffix}{${own},${extra.text}} ${formatValue(value)}`);
    };
    for (let i = 0; i < rows.length; i++) {
      own = labelled[i]!;
      family.samples(rows[i]!, put);
    }
  }
  lines.push('');
  return lines.join('\n');
}
