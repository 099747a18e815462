import { spawnSync } from 'node:child_process';

/** Runs `promtool check metrics` on `text` (stdin): its exit status and what it printed. */
export function promtoolCheckMetrics(text: string): { status: number | null; output: string } {
  const run = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
  if (run.error) throw new Error(`promtool is missing: run node scripts/ensure-tool.mjs promtool (${run.error.message})`);
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}
