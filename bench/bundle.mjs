// Minified + gzipped bytes of what an application ships for a breaker, bundled with esbuild.
import { build } from 'esbuild';
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
export const entries = {
  circuitry: `import { circuit } from '../dist/index.js'; console.log(circuit);`,
  opossum: `import CircuitBreaker from 'opossum'; console.log(CircuitBreaker);`,
  cockatiel: `import { circuitBreaker, ConsecutiveBreaker, handleAll } from 'cockatiel'; console.log(circuitBreaker, ConsecutiveBreaker, handleAll);`,
};

export async function bundleBytes(lib) {
  const result = await build({
    stdin: { contents: entries[lib], resolveDir: here, loader: 'js' },
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'node',
    write: false,
    logLevel: 'silent',
  });
  const code = result.outputFiles[0].contents;
  return { minified: code.length, gzipped: gzipSync(code, { level: 9 }).length };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  for (const lib of Object.keys(entries)) console.log(lib, await bundleBytes(lib));
}
