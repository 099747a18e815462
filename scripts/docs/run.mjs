// Runs each block in a Node process of its own, after the prelude, with a time limit. A block
// fails if it throws, leaves a rejection unhandled, or is still running when time is up (which is
// also how a forgotten timer or server shows).
import { execFile } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

/**
 * Runs the blocks a few at a time. Resolves to `file:line: why` for each that failed, in document
 * order, and the slowest run, which shows whether any block came near the limit.
 */
export async function runBlocks(blocks, { prelude, scratch, limitMs }) {
  const preload = prelude.flatMap((path) => ['--import', pathToFileURL(path).href]);
  const results = [];
  let next = 0;
  const worker = async () => {
    while (next < blocks.length) {
      const index = next++;
      const block = blocks[index];
      // Its own working directory, for a block that writes a file.
      const cwd = join(scratch, `${block.file.replaceAll('/', '__')}-L${block.line}`);
      mkdirSync(cwd, { recursive: true });
      const start = performance.now();
      const why = await runOne(['--unhandled-rejections=strict', '--enable-source-maps', ...preload, block.module], cwd, limitMs);
      // The module keeps the document's line numbers, so its stack can name the document.
      const failure = why === undefined ? undefined : `${block.file}:${block.line}: ${why.replaceAll(block.source, block.file)}`;
      results[index] = { block, ms: performance.now() - start, failure };
    }
  };
  await Promise.all(Array.from({ length: Math.min(8, availableParallelism()) }, worker));
  return {
    failures: results.flatMap(({ failure }) => (failure === undefined ? [] : [failure])),
    slowest: results.reduce((a, b) => (b.ms > a.ms ? b : a), { block: undefined, ms: 0 }),
  };
}

function runOne(args, cwd, limitMs) {
  return new Promise((resolve) => {
    execFile(process.execPath, args, { cwd, timeout: limitMs, killSignal: 'SIGKILL' }, (error, _stdout, stderr) => {
      if (error === null) resolve(undefined);
      else if (error.killed) resolve(`still running after ${limitMs / 1000} s (a wait, a timer or a server left open?)`);
      else resolve(`exited with ${error.code ?? error.signal}\n${indent(stderr)}`);
    });
  });
}

const indent = (text) => text.trimEnd().split('\n').slice(-20).map((line) => `    ${line}`).join('\n');
