// A line diff for error messages: enough to see what changed, not a patch format.

/** The lines of `after` that differ from `before`, as `- old` / `+ new` with a line of context. */
export function lineDiff(before, after, { context = 1, most = 60 } = {}) {
  const a = before.split('\n');
  const b = after.split('\n');
  // Longest common subsequence, filled from the end so the walk below goes forward.
  const lcs = Array.from({ length: a.length + 1 }, () => new Uint32Array(b.length + 1));
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) {
      lcs[i][j] = a[i] === b[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
    }
  }
  const ops = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j]) (ops.push(['  ', a[i++]]), j++);
    else if (j < b.length && (i === a.length || lcs[i][j + 1] >= lcs[i + 1][j])) ops.push(['+ ', b[j++]]);
    else ops.push(['- ', a[i++]]);
  }
  const near = (k) => ops.slice(Math.max(0, k - context), k + context + 1).some(([mark]) => mark !== '  ');
  const out = [];
  let skipped = false;
  ops.forEach(([mark, line], k) => {
    if (!near(k)) return void (skipped = true);
    if (skipped && out.length > 0) out.push('  ...');
    skipped = false;
    out.push(`${mark}${line}`);
  });
  return out.length > most ? [...out.slice(0, most), `  ... ${out.length - most} more lines`].join('\n') : out.join('\n');
}
