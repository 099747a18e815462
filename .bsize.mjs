import { build } from 'esbuild'; import { gzipSync } from 'node:zlib';
const root = process.argv[2];
const r = await build({ stdin: { contents: "import { circuit } from './dist/index.js'; console.log(circuit);", resolveDir: root, loader: 'js' }, bundle: true, minify: true, format: 'esm', platform: 'node', write: false, logLevel: 'silent' });
console.log(gzipSync(r.outputFiles[0].contents, { level: 9 }).length);
