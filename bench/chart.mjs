// A horizontal bar chart of ratios as standalone SVG, with no dependencies.
const escape = (s) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const r1 = (v) => Math.round(v * 10) / 10;

/**
 * Bars are medians, whiskers min..max across rounds. "x / bare" bars (blue) are what circuitry
 * costs over no breaker, lower is better; "peer / circuitry" bars (green) are how many times
 * slower or bigger the peer is, higher is better for circuitry.
 */
export function barChart(ratios) {
  const rowHeight = 26;
  const labelWidth = 250;
  const barWidth = 440;
  const top = 56;
  const height = top + ratios.length * rowHeight + 30;
  const max = Math.max(1, ...ratios.map((r) => r.max));
  const x = (v) => r1(labelWidth + (v / max) * barWidth);
  const rows = ratios.map((r, i) => {
    const y = top + i * rowHeight;
    const costOverBare = r.chart.endsWith('/ bare') || r.chart.endsWith('/ bare success');
    return [
      `<text x="${labelWidth - 8}" y="${y + 13}" text-anchor="end">${escape(r.chart)}</text>`,
      `<rect x="${labelWidth}" y="${y + 2}" width="${Math.max(1, r1(x(r.median) - labelWidth))}" height="14" fill="${costOverBare ? '#3182ce' : '#2f855a'}"/>`,
      `<line x1="${x(r.min)}" x2="${x(r.max)}" y1="${y + 9}" y2="${y + 9}" stroke="#333" stroke-width="1.5"/>`,
      `<text x="${x(r.max) + 6}" y="${y + 13}">${r.median.toFixed(2)}×</text>`,
    ].join('');
  });
  const one = x(1);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${labelWidth + barWidth + 70}" height="${height}" font-family="sans-serif" font-size="12">
<rect width="100%" height="100%" fill="#fff"/>
<text x="10" y="20" font-size="14" font-weight="bold">circuitry benchmark ratios (median; whiskers: min..max across rounds)</text>
<text x="10" y="38" fill="#444"><tspan fill="#3182ce">■</tspan> circuitry / bare: the cost of the breaker, lower is better   <tspan fill="#2f855a">■</tspan> peer / circuitry: higher is better</text>
<line x1="${one}" x2="${one}" y1="${top - 4}" y2="${height - 24}" stroke="#999" stroke-dasharray="3,3"/>
<text x="${one}" y="${height - 10}" text-anchor="middle" fill="#666">1×</text>
${rows.join('\n')}
</svg>
`;
}
