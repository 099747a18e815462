import { build } from 'esbuild';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));

// The benchmark issue's target is 2,000 B, and it is not met. The foundation alone came to
// 4,272 B (opossum: 4,575 B, cockatiel's breaker alone: 2,762 B): option validation with messages
// that name the option and value, both decorator standards, and reflect-metadata carry-over.
// Policies and runtime control (isolate, disable, configure, toJSON, backoff) brought it to
// 5,499 B, events, stats and the registry to 6,595 B, the `timeout` option to 6,879 B, and the
// review fixes (hand-linked signals, no stale causes, eager named decorator breakers) to 7,054 B,
// and the `store` option (its checks, attaching, the trial gate, two events, a refused call
// waiting for the fleet's lease answer) to 7,411 B, and holding every wait to its length when the
// clock steps back (the machine's latest reading, durations never negative) to 7,466 B;
// the shared store itself, window policies, backoff helpers, restoreBreaker, retry, pipe and the Prometheus renderer
// tree-shake away when unused.
// This ceiling keeps the bundle from growing unnoticed while that gap is open: lower it freely,
// raise it only with a reason in the change.
const CEILING = 7_475;

it(`import { circuit } bundles to at most ${CEILING} bytes minified and gzipped`, async () => {
  expect(existsSync(`${root}dist/index.js`), 'run `npm run build` first (npm test does)').toBe(true);
  const result = await build({
    stdin: { contents: "import { circuit } from './dist/index.js'; console.log(circuit);", resolveDir: root, loader: 'js' },
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'node',
    write: false,
    logLevel: 'silent',
  });
  const bytes = gzipSync(result.outputFiles[0]!.contents, { level: 9 }).length;
  expect(bytes).toBeLessThanOrEqual(CEILING);
  // A bundle this small would mean tree-shaking dropped the guard itself.
  expect(bytes).toBeGreaterThan(1_000);
});
