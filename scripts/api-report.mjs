// The public API as the built declarations state it, one section per entry point, in
// api/circuitry.api.md. With --update it rewrites the report; without, it fails when dist/ no
// longer matches it, so a change to the API is seen and reviewed rather than shipped by accident.
//
// Doc comments are left out: the TypeDoc check already requires them, and a reworded comment is
// not an API change, so it should not touch this file. Statements are printed by the compiler and
// sorted by name, so formatting and the bundler's ordering do not churn it either.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import ts from 'typescript';
import { entryPoints, root } from './lib/entry-points.mjs';
import { lineDiff } from './lib/line-diff.mjs';

const reportPath = join(root, 'api', 'circuitry.api.md');
const printer = ts.createPrinter({ removeComments: true, newLine: ts.NewLineKind.LineFeed });

const sections = entryPoints().map(({ specifier, types }) => {
  if (!existsSync(types)) {
    console.error(`api: ${relative(root, types)} (${specifier}) is missing: run npm run build first`);
    process.exit(1);
  }
  return `## ${specifier}\n\n\`\`\`ts\n${normalise(types)}\`\`\`\n`;
});
const report = [
  '# circuitry: public API',
  '',
  'Generated from the built declarations (`dist/*.d.ts`) by `npm run api:update`; `npm test` fails',
  'when they differ from this file. Doc comments are left out and declarations sorted by name, so',
  'only a change to the API itself shows here: review a diff of this file as a change to what users',
  'get.',
  '',
  ...sections,
].join('\n');

if (process.argv.includes('--update')) {
  mkdirSync(dirname(reportPath), { recursive: true });
  writeFileSync(reportPath, report);
  console.log(`api: wrote ${relative(root, reportPath)}`);
} else {
  const saved = existsSync(reportPath) ? readFileSync(reportPath, 'utf8') : '';
  if (saved !== report) {
    console.error(`${lineDiff(saved, report)}\n`);
    console.error(`public API changed (- ${relative(root, reportPath)}, + dist/): run npm run api:update and commit the report`);
    process.exit(1);
  }
  console.log(`api: dist/ matches ${relative(root, reportPath)} (${sections.length} entry points)`);
}

/** One declaration file, printed without comments: imports, then declarations by name, then exports. */
function normalise(path) {
  const source = ts.createSourceFile(path, readFileSync(path, 'utf8'), ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
  const rank = (s) => (ts.isImportDeclaration(s) ? 0 : ts.isExportDeclaration(s) || ts.isExportAssignment(s) ? 2 : 1);
  const name = (s) =>
    ts.isImportDeclaration(s)
      ? s.moduleSpecifier.getText(source)
      : (s.name?.text ?? s.declarationList?.declarations.map((d) => d.name.getText(source)).join(',') ?? '');
  return source.statements
    .map((statement, index) => ({ statement, index, rank: rank(statement), name: name(statement) }))
    // Overloads and merged declarations share a name and keep their order.
    .sort((x, y) => x.rank - y.rank || byName(x.name, y.name) || x.index - y.index)
    .map(({ statement }) => `${print(statement, source)}\n`)
    .join('');
}

function print(statement, source) {
  const clause = ts.isImportDeclaration(statement) ? statement.importClause?.namedBindings : statement.exportClause;
  if (clause === undefined || !(ts.isNamedImports(clause) || ts.isNamedExports(clause))) {
    return printer.printNode(ts.EmitHint.Unspecified, statement, source);
  }
  const names = clause.elements.map((e) => e.getText(source)).sort((a, b) => byName(bare(a), bare(b)));
  if (ts.isImportDeclaration(statement)) return `import { ${names.join(', ')} } from ${statement.moduleSpecifier.getText(source)};`;
  // One exported name a line: an added export is then one added line.
  const from = statement.moduleSpecifier === undefined ? '' : ` from ${statement.moduleSpecifier.getText(source)}`;
  return `export {\n${names.map((n) => `    ${n},`).join('\n')}\n}${from};`;
}

/** The name a specifier binds: `type A as B` is sorted as B. */
function bare(specifier) {
  return specifier.replace(/^type /, '').split(' as ').pop();
}

/** Case-insensitive, then by code unit: the same order on every machine, whatever its locale. */
function byName(a, b) {
  const [x, y] = [a.toLowerCase(), b.toLowerCase()];
  return x < y ? -1 : x > y ? 1 : a < b ? -1 : a > b ? 1 : 0;
}
