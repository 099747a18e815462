// The runtime matrix: the package as `npm pack` makes it, installed in a scratch app, and its
// smoke test run under every runtime the README lists. One line per runtime, then a closing
// line `runtimes: N passed, N failed`; the exit code is non-zero when any failed.
import { execFileSync, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runBrowser } from './browser.mjs';
import { ensureChromium } from './lib/ensure-chromium.mjs';
import { startRedis } from './lib/redis-server.mjs';
import { runWorkerd } from './workerd.mjs';

const started = performance.now();
const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
// Inside runtimes/, so that the app resolves the matrix's own tools (@types/bun) by walking up.
const app = join(here, '.app');
const require = createRequire(import.meta.url);
const binOf = (pkg, bin) => join(dirname(require.resolve(`${pkg}/package.json`)), bin);
const versionOf = (pkg) => require(`${pkg}/package.json`).version;

function prepare() {
  if (!existsSync(join(root, 'dist/index.js'))) execFileSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' });
  rmSync(app, { recursive: true, force: true });
  mkdirSync(app);
  // The prepack build writes to stdout too: the JSON report is what follows it.
  const packed = execFileSync('npm', ['pack', '--json', '--pack-destination', app], { cwd: root, encoding: 'utf8' });
  const [{ filename }] = JSON.parse(packed.slice(packed.search(/^\[/m)));
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'runtimes-app', private: true, type: 'module' }));
  execFileSync('npm', ['install', '--no-audit', '--no-fund', `./${filename}`], { cwd: app, stdio: ['ignore', 'ignore', 'inherit'] });
  cpSync(join(here, 'smoke'), app, { recursive: true });
  cpSync(join(here, 'types'), app, { recursive: true });
  ensureChromium();
  execFileSync(process.execPath, [join(root, 'scripts/ensure-redis.mjs')], { stdio: 'ignore' });
  return filename;
}

/** Runs a runtime's binary in the app; resolves with its output, rejects with its errors. */
function run(command, args, env = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: app, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk) => (out += chunk));
    child.stderr.on('data', (chunk) => (err += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.once('error', reject);
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(out.trim());
      else reject(new Error(`exited with ${code ?? signal}\n${(err || out).trim()}`));
    });
  });
}

const version = async (command) => (await run(command, ['--version'])).replace(/^v/, '');

const node = (binary) => async () => `node ${await version(binary)}: ${await run(binary, ['cli.mjs'])}`;
const bun = binOf('bun', 'bin/bun.exe');
const deno = binOf('deno', 'deno');
const tsc = binOf('typescript', 'bin/tsc');

const RUNTIMES = [
  ['node 20 (this machine\'s)', node(process.execPath)],
  ['node 22', node(binOf('node22', 'bin/node'))],
  ['node 24', node(binOf('node24', 'bin/node'))],
  ['bun', async () => `bun ${await version(bun)}: ${await run(bun, ['cli.mjs'])}`],
  [
    'bun + redis-server',
    async () => {
      const redis = await startRedis();
      try {
        return `bun ${await version(bun)}: ${await run(bun, ['bun-redis.mjs'], { CIRCUITRY_REDIS_URL: redis.url })}`;
      } finally {
        redis.stop();
      }
    },
  ],
  [
    'deno',
    async () => {
      // Its cache in the app, and no update check: nothing outside the registry is reached.
      const env = { DENO_DIR: join(app, '.deno'), DENO_NO_UPDATE_CHECK: '1', NO_COLOR: '1' };
      const name = (await run(deno, ['--version'], env)).split(' (')[0];
      return `${name}: ${await run(deno, ['run', '--no-lock', '--no-prompt', 'cli.mjs'], env)}`;
    },
  ],
  ['chromium', async () => `chromium ${await runBrowser(app)} (playwright-core ${versionOf('playwright-core')})`],
  ['workerd', async () => `workerd ${versionOf('workerd')}: ${await runWorkerd(app)}`],
  [
    'types',
    async () => {
      await run(process.execPath, [tsc, '-p', 'tsconfig.json']);
      return `TypeScript ${versionOf('typescript')} with @types/bun ${versionOf('@types/bun')}: redisStore accepts Bun's RedisClient`;
    },
  ],
];

const tarball = prepare();
console.log(`runtimes: smoke test of ${tarball}, as npm installs it`);
let passed = 0;
let failed = 0;
for (const [name, check] of RUNTIMES) {
  try {
    console.log(`ok    ${await check()}`);
    passed += 1;
  } catch (error) {
    console.log(`FAIL  ${name}: ${error?.stack ?? error}`);
    failed += 1;
  }
}
console.log(`runtimes: took ${((performance.now() - started) / 1000).toFixed(1)} s`);
console.log(`runtimes: ${passed} passed, ${failed} failed`);
process.exitCode = failed === 0 ? 0 : 1;
