// TypeDoc over every public entry point; the options live in typedoc.json. Arguments are passed
// on, so `--emit none` only checks that every export is documented, without writing docs/api/.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { entryPoints, root } from './lib/entry-points.mjs';

const points = entryPoints();
const entries = points.flatMap(({ source }) => ['--entryPoints', source]);
const typedoc = join(root, 'node_modules', 'typedoc', 'bin', 'typedoc');
const { status } = spawnSync(process.execPath, [typedoc, ...entries, ...process.argv.slice(2)], { cwd: root, stdio: 'inherit' });
if (status === 0) console.log(`typedoc: ${points.map((p) => p.specifier).join(', ')}`);
process.exit(status ?? 1);
