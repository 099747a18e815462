// Checks every ```ts block of README.md and docs/ (the generated docs/api/ aside) against the built
// package: each is type-checked, and each not marked ```ts no-run is run, so the docs can drift
// neither from the API's types nor from what it does. Run it after `npm run build`.
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { allBlocks, documents } from './docs/blocks.mjs';
import { compileBlocks, PRELUDE } from './docs/compile.mjs';
import { runBlocks } from './docs/run.mjs';
import { entryPoints, root } from './lib/entry-points.mjs';

const missing = entryPoints().filter(({ types }) => !existsSync(types));
if (missing.length > 0) {
  console.error(`docs: ${missing.map(({ specifier }) => specifier).join(', ')} not built: run npm run build first`);
  process.exit(1);
}

// A directory per run, so that runs in one working tree at once do not trample each other. It
// must lie inside the package, where `circuitry` resolves to the package itself.
mkdirSync(join(root, '.tmp'), { recursive: true });
const dir = mkdtempSync(join(root, '.tmp', 'docs-'));
const blocks = allBlocks(root);
const typeErrors = compileBlocks(root, dir, blocks);
const runnable = blocks.filter((block) => block.run);
const { failures: runFailures, slowest } = await runBlocks(runnable, {
  prelude: PRELUDE.map((name) => join(dir, 'out', `${name}.js`)),
  scratch: join(dir, 'cwd'),
  limitMs: 10_000,
});

for (const failure of [...typeErrors, ...runFailures]) console.error(failure);
const files = new Set(blocks.map((block) => block.file)).size;
console.log(
  `docs: ${blocks.length} blocks in ${files} of ${documents(root).length} documents: ${runnable.length} type-checked and run, ` +
    `${blocks.length - runnable.length} type-checked only (no-run); ${typeErrors.length} type errors, ${runFailures.length} failed runs` +
    (slowest.block === undefined ? '' : `; slowest run ${(slowest.ms / 1000).toFixed(1)} s (${slowest.block.file}:${slowest.block.line})`),
);
if (typeErrors.length + runFailures.length > 0) {
  console.error(`the generated modules are in ${dir}, named after the document and line they come from`);
  process.exit(1);
}
rmSync(dir, { recursive: true, force: true });
