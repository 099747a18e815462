// Finds the documents whose TypeScript blocks are checked, and reads those blocks out of them.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** README.md and every Markdown file under docs/, except the generated API reference. */
export function documents(root) {
  const docs = existsSync(join(root, 'docs'))
    ? readdirSync(join(root, 'docs'), { recursive: true })
        .map((file) => join('docs', String(file)).split('\\').join('/'))
        .filter((file) => file.endsWith('.md') && !file.startsWith('docs/api/'))
        .sort()
    : [];
  return ['README.md', ...docs];
}

/** Words a ```ts fence may carry after the language. */
const FLAGS = new Set(['no-run']);

/**
 * The ```ts (or ```typescript) blocks of a Markdown text: their code, the line their first line of
 * code is on (1-based), and whether they run. Other fences are skipped whole, so a ```ts inside
 * a ```md example is not taken for a block. Throws on a flag it does not know, so that a typo
 * cannot silently stop a block from running.
 */
export function tsBlocks(text, file) {
  const blocks = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)(`{3,}|~{3,})\s*([^\s`]*)(.*)$/.exec(lines[i]);
    if (open === null) continue;
    const [, indent, fence, lang, rest] = open;
    const close = new RegExp(`^\\s*${fence[0]}{${fence.length},}\\s*$`);
    let end = i + 1;
    while (end < lines.length && !close.test(lines[end])) end++;
    if (lang === 'ts' || lang === 'typescript') {
      const flags = rest.trim().split(/\s+/).filter(Boolean);
      const unknown = flags.find((flag) => !FLAGS.has(flag));
      if (unknown !== undefined) throw new Error(`${file}:${i + 1}: unknown flag "${unknown}" on a ts block (known: ${[...FLAGS].join(', ')})`);
      const code = lines.slice(i + 1, end).map((line) => (line.startsWith(indent) ? line.slice(indent.length) : line.trimStart()));
      blocks.push({ file, line: i + 2, code: code.join('\n'), run: !flags.includes('no-run') });
    }
    i = end;
  }
  return blocks;
}

/** Every checked block of every document. */
export function allBlocks(root) {
  return documents(root).flatMap((file) => tsBlocks(readFileSync(join(root, file), 'utf8'), file));
}
