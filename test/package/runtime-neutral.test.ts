import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));

// Browsers, and workerd without nodejs_compat, have no Node built-ins: an entry that imports one
// at load cannot even be bundled for them.
it.each(['index', 'store', 'prometheus', 'redis', 'http', 'opentelemetry'])('circuitry/%s bundles for a browser, needing no Node built-in', async (entry) => {
  const result = await build({
    stdin: { contents: `export * from './src/${entry}.ts';`, resolveDir: root, loader: 'ts' },
    alias: { 'circuitry/store': './src/store.ts', circuitry: './src/index.ts' },
    bundle: true,
    format: 'esm',
    platform: 'browser',
    write: false,
    logLevel: 'silent',
  });
  expect(result.errors).toEqual([]);
});

// Some engines have no AbortController; an app that never times a call out must still load.
it('the built main entry loads where there is no AbortController', () => {
  expect(existsSync(`${root}dist/index.js`), 'run `npm run build` first (npm test does)').toBe(true);
  const child = spawnSync(
    process.execPath,
    ['--input-type=module', '-e', "delete globalThis.AbortController; const { circuit } = await import('./dist/index.js'); console.log(await circuit(async () => 'ok')());"],
    { cwd: root, encoding: 'utf8', timeout: 30_000 },
  );
  expect(child.stderr).toBe('');
  expect(child.stdout.trim()).toBe('ok');
});
