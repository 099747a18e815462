import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));

// Browsers, and workerd without nodejs_compat, have no Node built-ins: an entry that imports one
// at load cannot even be bundled for them.
it.each(['index', 'prometheus', 'redis'])('circuitry/%s bundles for a browser, needing no Node built-in', async (entry) => {
  const result = await build({
    stdin: { contents: `export * from './src/${entry}.ts';`, resolveDir: root, loader: 'ts' },
    alias: { circuitry: './src/index.ts' },
    bundle: true,
    format: 'esm',
    platform: 'browser',
    write: false,
    logLevel: 'silent',
  });
  expect(result.errors).toEqual([]);
});
