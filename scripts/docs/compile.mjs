// Writes each block as a module, type-checks them all against the built package and emits the
// JavaScript that runs. Imports of `circuitry` and its subpaths resolve as a user's would: the
// package refers to itself by name through its `exports`, so they reach dist/, not src/.
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';

/** The modules every run loads first: the placeholders' values, and fetch kept offline. */
export const PRELUDE = ['offline-fetch', 'placeholders'];

// A block without imports continues the story of the ones before it: give it the API.
const COMMON_IMPORTS = "import { CircuitBreaker, callSignal, circuit, isCircuitOpenError, retry, timeout } from 'circuitry';";

/**
 * Writes the blocks under `dir` (named after their document and line), type-checks them with the
 * project's compiler options and emits JavaScript to `dir/out`. Returns the diagnostics as
 * `file:line: message`, pointing into the documents; sets `block.source` to the module written
 * and `block.module` to what runs.
 */
export function compileBlocks(root, dir, blocks) {
  mkdirSync(join(dir, 'blocks'), { recursive: true });
  for (const name of PRELUDE) copyFileSync(join(root, 'scripts', 'docs', `${name}.ts`), join(dir, `${name}.ts`));
  const where = new Map();
  for (const block of blocks) {
    // Padded so that each line keeps its number in the document: type errors and stack traces
    // point straight at the document's lines. The fence line leaves room for the imports.
    const header = /^import /m.test(block.code) ? '' : COMMON_IMPORTS;
    const padding = [header, ...Array(block.line - 2).fill('')];
    const name = `${block.file.replaceAll('/', '__')}-L${String(block.line).padStart(4, '0')}`;
    const path = join(dir, 'blocks', `${name}.ts`);
    writeFileSync(path, [...padding, block.code, 'export {};', ''].join('\n'));
    where.set(ts.sys.resolvePath(path), block);
    block.source = path;
    block.module = join(dir, 'out', 'blocks', `${name}.js`);
  }

  const config = ts.getParsedCommandLineOfConfigFile(join(root, 'tsconfig.json'), {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => {} });
  // Without the project's paths, which point `circuitry` at src/: the docs must see what users get.
  const { paths, pathsBasePath, ...options } = config.options;
  const program = ts.createProgram({
    rootNames: [...PRELUDE.map((name) => join(dir, `${name}.ts`)), ...where.keys()],
    options: {
      ...options,
      noEmit: false,
      rootDir: dir,
      outDir: join(dir, 'out'),
      // A stack trace from a run then points into the block rather than into emitted JavaScript.
      inlineSourceMap: true,
      // Snippets declare names for the reader that they never use.
      noUnusedLocals: false,
      noUnusedParameters: false,
    },
  });
  const diagnostics = ts.getPreEmitDiagnostics(program);
  program.emit();
  return diagnostics.map((d) => describe(root, d, where));
}

function describe(root, diagnostic, where) {
  const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n');
  if (diagnostic.file === undefined) return `error TS${diagnostic.code}: ${message}`;
  const { line } = diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start ?? 0);
  const block = where.get(ts.sys.resolvePath(diagnostic.file.fileName));
  const place = `${block?.file ?? relative(root, diagnostic.file.fileName)}:${line + 1}`;
  return `${place}: error TS${diagnostic.code}: ${message}`;
}
