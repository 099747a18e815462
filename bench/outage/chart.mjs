// A timeline as standalone SVG, with no dependencies: p99 latency (log scale) above, requests the
// service(s) sent upstream per second below, one line per guard, the outage shaded.
const colours = { none: '#718096', circuitry: '#2b6cb0', 'circuitry+redis': '#2f855a', 'opossum (defaults)': '#c05621', 'opossum (tuned)': '#d69e2e', cockatiel: '#9f7aea' };
// Dashes keep lines apart where two guards draw the same curve.
const dashes = { cockatiel: '6,3', 'opossum (tuned)': '2,2' };
const escape = (s) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const r1 = (v) => Math.round(v * 10) / 10;

/** `lines`: [{ name, points: [{ t, p99, upstreamRate }] }], t in s from the outage's start. */
export function timelineChart({ title, lines, outageSeconds }) {
  const width = 820;
  const left = 60;
  const plotWidth = 620;
  const panel = 170;
  const top = 40;
  const gap = 50;
  const ts = lines.flatMap((l) => l.points.map((p) => p.t));
  const [t0, t1] = [Math.min(...ts), Math.max(...ts)];
  const x = (t) => r1(left + ((t - t0) / (t1 - t0)) * plotWidth);
  // Latency: log scale from 1 ms to the largest p99 seen, at least 1 s.
  const maxLatency = Math.max(1_000, ...lines.flatMap((l) => l.points.map((p) => p.p99 ?? 0)));
  const decades = Math.ceil(Math.log10(maxLatency));
  const yLatency = (ms) => r1(top + panel - (Math.log10(Math.max(1, ms)) / decades) * panel);
  const maxRate = Math.max(10, ...lines.flatMap((l) => l.points.map((p) => p.upstreamRate)));
  const rateTop = top + panel + gap;
  const yRate = (rate) => r1(rateTop + panel - (rate / maxRate) * panel);
  const path = (points, y) =>
    points
      .filter((p) => p.value !== null)
      .map((p, i) => `${i === 0 ? 'M' : 'L'}${x(p.t)},${y(p.value)}`)
      .join('');
  const parts = [];
  for (const panelTop of [top, rateTop]) {
    parts.push(`<rect x="${x(0)}" y="${panelTop}" width="${r1(x(outageSeconds) - x(0))}" height="${panel}" fill="#fed7d7" opacity="0.5"/>`);
    parts.push(`<rect x="${left}" y="${panelTop}" width="${plotWidth}" height="${panel}" fill="none" stroke="#999"/>`);
  }
  for (let d = 0; d <= decades; d++) {
    const y = yLatency(10 ** d);
    const label = 10 ** d >= 1_000 ? `${10 ** d / 1_000} s` : `${10 ** d} ms`;
    parts.push(`<line x1="${left}" x2="${left + plotWidth}" y1="${y}" y2="${y}" stroke="#e2e8f0"/><text x="${left - 6}" y="${y + 4}" text-anchor="end">${label}</text>`);
  }
  for (const fraction of [0, 0.5, 1]) {
    const y = yRate(fraction * maxRate);
    parts.push(`<line x1="${left}" x2="${left + plotWidth}" y1="${y}" y2="${y}" stroke="#e2e8f0"/><text x="${left - 6}" y="${y + 4}" text-anchor="end">${Math.round(fraction * maxRate)}</text>`);
  }
  const step = t1 - t0 > 40 ? 10 : 5;
  for (let t = Math.ceil(t0 / step) * step; t <= t1; t += step) {
    parts.push(`<text x="${x(t)}" y="${rateTop + panel + 16}" text-anchor="middle">${t} s</text>`);
  }
  parts.push(`<text x="${left}" y="${top - 8}">p99 latency per ${lines[0]?.bucket ?? 0.5} s, from each request's due time (log scale)</text>`);
  parts.push(`<text x="${left}" y="${rateTop - 8}">requests sent to the upstream per second</text>`);
  parts.push(`<text x="${x(outageSeconds / 2)}" y="${top + 14}" text-anchor="middle" fill="#9b2c2c">outage</text>`);
  lines.forEach((line, i) => {
    const colour = colours[line.name] ?? '#000';
    const dash = dashes[line.name] ? ` stroke-dasharray="${dashes[line.name]}"` : '';
    parts.push(`<path d="${path(line.points.map((p) => ({ t: p.t, value: p.p99 })), yLatency)}" fill="none" stroke="${colour}" stroke-width="1.5"${dash}/>`);
    parts.push(`<path d="${path(line.points.map((p) => ({ t: p.t, value: p.upstreamRate })), yRate)}" fill="none" stroke="${colour}" stroke-width="1.5"${dash}/>`);
    const y = top + 10 + i * 18;
    parts.push(`<rect x="${left + plotWidth + 12}" y="${y - 8}" width="14" height="3" fill="${colour}"/><text x="${left + plotWidth + 30}" y="${y - 3}">${escape(line.name)}</text>`);
  });
  const height = rateTop + panel + 30;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="11">
<rect width="100%" height="100%" fill="#fff"/>
<text x="${left}" y="16" font-size="14" font-weight="bold">${escape(title)}</text>
${parts.join('\n')}
</svg>
`;
}
