// The package's public entry points, read from package.json `exports`: a subpath added there is
// documented, reported and checked by the scripts without editing them.
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const root = resolve(import.meta.dirname, '../..');

/**
 * One entry per code subpath: its import specifier (`circuitry/prometheus`), its ESM declaration
 * file in dist/, and the source file it is built from (dist/<name>.d.ts comes from src/<name>.ts).
 */
export function entryPoints() {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  return Object.entries(pkg.exports)
    .filter(([, target]) => typeof target === 'object' && target !== null)
    .map(([subpath, target]) => {
      const types = target.import?.types;
      const name = typeof types === 'string' ? /^\.\/dist\/(.+)\.d\.ts$/.exec(types)?.[1] : undefined;
      if (name === undefined) throw new Error(`package.json exports["${subpath}"].import.types should be ./dist/<name>.d.ts, got ${types}`);
      return {
        specifier: pkg.name + subpath.slice(1),
        types: join(root, types),
        source: join(root, 'src', `${name}.ts`),
      };
    });
}
