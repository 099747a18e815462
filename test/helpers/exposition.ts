/** One sample of the Prometheus text format. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/**
 * A strict parser for the Prometheus text exposition format (0.0.4), enough to check what we
 * serve: HELP and TYPE lines, samples with escaped label values. Throws on anything malformed.
 */
export function parseExposition(text: string): { types: Record<string, string>; samples: Sample[] } {
  if (!text.endsWith('\n')) throw new Error('exposition must end with a newline');
  const types: Record<string, string> = {};
  const samples: Sample[] = [];
  const name = '[a-zA-Z_:][a-zA-Z0-9_:]*';
  for (const line of text.slice(0, -1).split('\n')) {
    let m: RegExpMatchArray | null;
    if (line === '') continue; // the format ignores empty lines
    if ((m = line.match(new RegExp(`^# HELP (${name}) (.*)$`)))) continue;
    if ((m = line.match(new RegExp(`^# TYPE (${name}) (counter|gauge|histogram|summary|untyped)$`)))) {
      types[m[1]!] = m[2]!;
      continue;
    }
    m = line.match(new RegExp(`^(${name})(?:\\{(.*)\\})? (\\S+)$`));
    if (!m) throw new Error(`malformed line: ${line}`);
    const labels: Record<string, string> = {};
    let rest = m[2] ?? '';
    while (rest.length > 0) {
      const label = rest.match(/^([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"(,|$)/);
      if (!label) throw new Error(`malformed labels: ${m[2]}`);
      labels[label[1]!] = label[2]!.replace(/\\(["\\n])/g, (_, c: string) => (c === 'n' ? '\n' : c));
      rest = rest.slice(label[0].length);
    }
    const value = Number(m[3]);
    if (Number.isNaN(value) && m[3] !== 'NaN') throw new Error(`malformed value: ${line}`);
    // A histogram's or summary's samples carry a suffix after the name its TYPE line gives.
    const family = types[m[1]!] ? m[1]! : m[1]!.replace(/_(bucket|sum|count)$/, '');
    if (!types[family] || (family !== m[1] && !['histogram', 'summary'].includes(types[family]!))) throw new Error(`sample before its TYPE line: ${line}`);
    samples.push({ name: m[1]!, labels, value });
  }
  return { types, samples };
}
