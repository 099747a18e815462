// Packs circuitry as npm would publish it, installs the tarball into a scratch project and uses
// it from ESM, from CommonJS and from TypeScript (both module kinds, legacy decorators with
// emitDecoratorMetadata), so what users install is what we test.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, posix, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const scratch = mkdtempSync(join(tmpdir(), 'circuitry-install-'));
const run = (cmd, args, cwd = scratch) => execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });

// Packs from a copy of the tree without dist/, as a fresh clone is: the prepack script must build.
function packFromCleanTree() {
  const tree = join(scratch, 'tree');
  const listed = run('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], root).split('\0').filter(Boolean);
  for (const file of listed) {
    if (existsSync(join(root, file))) cpSync(join(root, file), join(tree, file), { recursive: true });
  }
  symlinkSync(join(root, 'node_modules'), join(tree, 'node_modules'), 'dir');
  // The prepack build writes to stdout too: the JSON report is what follows it.
  const out = run('npm', ['pack', '--json', '--pack-destination', scratch], tree);
  return JSON.parse(out.slice(out.search(/^\[/m)));
}

// Every relative link and image of every packed Markdown file (the README first) must name a
// file in the tarball, since there is no repository URL to fall back on: a user reading the
// README from node_modules, or on the registry's page, follows them there. Material that stays
// in the repository is named in words instead.
function brokenLinks(installed, files) {
  const broken = [];
  for (const file of files.filter((f) => f.endsWith('.md'))) {
    const text = readFileSync(join(installed, file), 'utf8').replace(/^(```|````)[^\n]*\n[\s\S]*?^\1$/gm, '');
    for (const [, target] of text.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
      if (/^([a-z][a-z+.-]*:|#)/i.test(target)) continue;
      const path = posix.normalize(posix.join(posix.dirname(file), decodeURIComponent(target.replace(/#.*$/, ''))));
      if (!files.includes(path) || !existsSync(join(installed, path))) broken.push(`${file} -> ${target}`);
    }
  }
  return broken;
}

try {
  const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const released = /^## \[([^\]]+)\]/m.exec(readFileSync(join(root, 'CHANGELOG.md'), 'utf8'))?.[1];
  if (released !== manifest.version) throw new Error(`package.json says ${manifest.version}, the newest CHANGELOG section says ${released}`);
  const packed = packFromCleanTree();
  const files = packed[0].files.map((f) => f.path).sort();
  // The docs, changelog and chart ship because the README links to them; nothing else beside dist.
  const unexpected = files.filter(
    (f) =>
      !/^(dist\/(index|prometheus|redis|store|http|opentelemetry)\.(c?js|d\.c?ts)|dist\/chunk-[\w-]+\.js|dist\/[\w-]+\.d\.c?ts|package\.json|(prometheus|redis|store|http|opentelemetry)\/package\.json|README\.md|LICENSE|CHANGELOG\.md|docs\/(semver|shared-state|how-we-test)\.md|docs\/migrating\/[\w-]+\.md|bench\/results\.svg)$/.test(f),
  );
  if (unexpected.length > 0) throw new Error(`the package ships files users do not need: ${unexpected.join(', ')}`);
  const missing = ['dist/index.js', 'dist/index.cjs', 'dist/index.d.ts', 'dist/index.d.cts', 'LICENSE'].filter((f) => !files.includes(f));
  if (missing.length > 0) throw new Error(`the package packed from a clean tree lacks ${missing.join(', ')}`);
  if (!readFileSync(join(root, 'LICENSE'), 'utf8').includes('Permission is hereby granted')) throw new Error('LICENSE is not the MIT text');

  writeFileSync(join(scratch, 'package.json'), JSON.stringify({ name: 'scratch', private: true }));
  run('npm', ['install', '--no-audit', '--no-fund', '--offline', join(scratch, packed[0].filename)]);
  const installed = join(scratch, 'node_modules/circuitry');
  if (!files.includes('README.md')) throw new Error('the package ships no README');
  const broken = brokenLinks(installed, files);
  if (broken.length > 0) throw new Error(`links in the packed docs that lead nowhere inside the package: ${broken.join(', ')}`);
  console.log(`install test: ${files.length} files, ${packed[0].size} bytes packed; every relative link of their Markdown resolves inside the package`);
  // The TypeScript check reuses this repository's compiler and polyfill rather than fetching them.
  cpSync(join(root, 'node_modules/reflect-metadata'), join(scratch, 'node_modules/reflect-metadata'), { recursive: true });

  const usage = (load) => `${load}
const calls = [];
const guarded = circuit(async (n) => { calls.push(n); throw new Error('down'); }, { failureThreshold: 1, name: 'scratch' });
const first = await guarded(1).catch((e) => e.message);
const second = await guarded(2).catch((e) => isCircuitOpenError(e) && e.breakerName);
if (first !== 'down' || second !== 'scratch' || calls.length !== 1) throw new Error('unexpected: ' + first + ' ' + second);
if (!(breakerOf(guarded) instanceof CircuitBreaker) || typeof circuitSync !== 'function') throw new Error('exports missing');
// circuitry/prometheus must see the breakers of the main entry point's default registry.
new CircuitBreaker({ name: 'shared-registry' });
if (!toPrometheus().includes('circuit="shared-registry",state="closed"} 1')) throw new Error('circuitry/prometheus sees another registry');
// A store from circuitry/redis must be one the main entry point's breakers accept.
const store = redisStore({ call: async () => ['none', 0, 0, 0, 0, 0, 0] });
new CircuitBreaker({ name: 'shared-store', store, registry: false });
store.close();
// So must a store from circuitry/store, an entry point of its own (its own copy under CommonJS).
const never = () => new Promise(() => {});
const own = sharedStore({ read: never, open: never, close: never, trial: never });
new CircuitBreaker({ name: 'own-store', store: own, registry: false });
own.close();
console.log('ok');
`;
  writeFileSync(join(scratch, 'esm.mjs'), usage("import { circuit, circuitSync, CircuitBreaker, isCircuitOpenError, breakerOf } from 'circuitry';\nimport { toPrometheus } from 'circuitry/prometheus';\nimport { redisStore } from 'circuitry/redis';\nimport { sharedStore } from 'circuitry/store';\nimport { statusHandler } from 'circuitry/http';\nimport { registerOpenTelemetryMetrics } from 'circuitry/opentelemetry';\nif (typeof statusHandler !== 'function' || typeof registerOpenTelemetryMetrics !== 'function') throw new Error('circuitry/http or circuitry/opentelemetry did not load');"));
  writeFileSync(
    join(scratch, 'cjs.cjs'),
    `(async () => {\n${usage("const { circuit, circuitSync, CircuitBreaker, isCircuitOpenError, breakerOf } = require('circuitry');\nconst { toPrometheus } = require('circuitry/prometheus');\nconst { redisStore } = require('circuitry/redis');\nconst { sharedStore } = require('circuitry/store');\nconst { statusHandler } = require('circuitry/http');\nconst { registerOpenTelemetryMetrics } = require('circuitry/opentelemetry');\nif (typeof statusHandler !== 'function' || typeof registerOpenTelemetryMetrics !== 'function') throw new Error('circuitry/http or circuitry/opentelemetry did not load');")}})().catch((e) => { console.error(e); process.exit(1); });`,
  );
  // ESM and CommonJS copies loaded side by side in one process (as NestJS-style apps do) are two
  // module instances, yet share one default registry: what one makes, the other lists and exports.
  writeFileSync(
    join(scratch, 'mixed.mjs'),
    `import { createRequire } from 'node:module';
import { CircuitBreaker, circuit, defaultRegistry } from 'circuitry';
const require = createRequire(import.meta.url);
const cjs = require('circuitry');
const { toPrometheus } = require('circuitry/prometheus');
if (cjs.CircuitBreaker === CircuitBreaker) throw new Error('expected two copies of circuitry, got one');
const imported = new CircuitBreaker({ name: 'made-by-import' });
const derived = circuit(async function madeByImportDerived() {});
if (cjs.defaultRegistry.get('made-by-import') !== imported) throw new Error('require does not see a breaker made through import');
if (!cjs.defaultRegistry.all().includes(derived.breaker)) throw new Error('require does not see a derived-name breaker made through import');
const text = toPrometheus();
for (const name of ['made-by-import', 'madeByImportDerived']) {
  if (!text.includes('circuit="' + name + '",state="closed"} 1')) throw new Error('circuitry/prometheus (require) misses ' + name);
}
const required = new cjs.CircuitBreaker({ name: 'made-by-require' });
if (defaultRegistry.get('made-by-require') !== required) throw new Error('import does not see a breaker made through require');
console.log('ok');
`,
  );
  for (const file of ['esm.mjs', 'cjs.cjs', 'mixed.mjs']) {
    const out = run('node', [file]).trim();
    if (out !== 'ok') throw new Error(`${file} printed ${out}`);
    console.log(`install test: ${file} ok`);
  }

  const consumer = `import { circuit, circuitSync, CircuitOpenError } from 'circuitry';
import { toPrometheus } from 'circuitry/prometheus';
import { redisStore } from 'circuitry/redis';
export const text: string = toPrometheus();
export const shared = circuit(async () => 1, { name: 'typed-store', store: redisStore({ call: async () => [] }) });
const get = circuit(async (id: string) => ({ id }), { fallback: () => null });
export const user: Promise<{ id: string } | null> = get('1');
export const len: number = circuitSync((s: string) => s.length)('abc');
export const open: CircuitOpenError = new CircuitOpenError('x', 1);
`;
  writeFileSync(join(scratch, 'consumer.mts'), consumer);
  writeFileSync(join(scratch, 'consumer.cts'), consumer);
  writeFileSync(
    join(scratch, 'nest.ts'),
    `import 'reflect-metadata';
import { circuit } from 'circuitry';
export class Service {
  @circuit({ failureThreshold: 2 })
  async find(id: string, limit: number): Promise<string> { return id.repeat(limit); }
}
const types = Reflect.getMetadata('design:paramtypes', Service.prototype, 'find');
if (types[0] !== String || types[1] !== Number) throw new Error('design metadata lost');
new Service().find('a', 2).then((v) => { if (v !== 'aa') throw new Error(v); console.log('ok'); });
`,
  );
  const tsc = join(root, 'node_modules/typescript/bin/tsc');
  const common = ['--strict', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022', '--types', 'node', '--typeRoots', join(root, 'node_modules/@types')];
  run('node', [tsc, ...common, '--noEmit', 'consumer.mts', 'consumer.cts']);
  console.log('install test: TypeScript consumers (ESM and CommonJS) ok');
  run('node', [tsc, ...common, '--experimentalDecorators', '--emitDecoratorMetadata', '--outDir', 'out', 'nest.ts']);
  writeFileSync(join(scratch, 'out/package.json'), '{"type":"commonjs"}');
  const nest = run('node', ['out/nest.js']).trim();
  if (nest !== 'ok') throw new Error(`nest.ts printed ${nest}`);
  console.log('install test: experimentalDecorators with emitDecoratorMetadata ok');

  // The consumer compile matrix: the packed types under the strictest flags users turn on, with
  // each module resolution a consumer may use. One file, written as such a consumer writes it; ESM
  // only, since verbatimModuleSyntax refuses import syntax in a CommonJS file (the CommonJS
  // consumer above covers require).
  const strictest = `import { circuit, circuitSync, retry, timeout, CircuitBreaker } from 'circuitry';
import { countWindow, exponentialBackoff, timeWindow } from 'circuitry';
import type { CircuitGuarded, CircuitSnapshot, Retrying } from 'circuitry';
import type { SharedStoreOptions } from 'circuitry/store';
import type { RedisStoreOptions } from 'circuitry/redis';
interface Config { timeout: number | undefined; name: string | undefined; rate: number | undefined }
declare const cfg: Config;
declare function fetchUser(id: string): Promise<{ id: string }>;
// exactOptionalPropertyTypes: a config value that may be undefined is forwarded as it is.
export const getUser: CircuitGuarded<unknown, [id: string], { id: string }> = circuit(fetchUser, { timeout: cfg.timeout, fallback: undefined });
export const shared: CircuitGuarded<unknown, [id: string], { id: string }> = circuit(fetchUser, { breaker: new CircuitBreaker(), timeout: cfg.timeout });
export const retried: Retrying<unknown, [id: string], { id: string }> = retry(fetchUser, { attempts: undefined });
export const timed: (id: string) => Promise<{ id: string }> = timeout(fetchUser, 100);
export const len: (s: string) => number = circuitSync((s: string) => s.length);
export const snapshot: CircuitSnapshot = new CircuitBreaker().toJSON();
// Every options object takes a forwarded undefined as "left out", helpers and stores included.
export const policy: CircuitBreaker = new CircuitBreaker({ policy: countWindow({ size: 10, failureRate: cfg.rate, minimumCalls: undefined }) });
export const window: unknown = timeWindow({ duration: 1_000, buckets: undefined, slowCallRate: cfg.rate });
export const backoff: (n: number) => number = exponentialBackoff({ initial: 10, max: 100, jitter: undefined, multiplier: cfg.rate });
export const storeOptions: SharedStoreOptions = { syncInterval: cfg.timeout, owner: cfg.name };
export const redisOptions: RedisStoreOptions = { prefix: cfg.name, keyTtl: cfg.timeout };
export class Client {
  @circuit({ fallback: () => ({ id: 'cold' }), timeout: cfg.timeout }) async get(id: string): Promise<{ id: string }> { return { id }; }
  @circuitSync({ scope: undefined }) size(s: string): number { return s.length; }
}
`;
  writeFileSync(join(scratch, 'strictest.ts'), strictest);
  const flags = ['--strict', '--exactOptionalPropertyTypes', '--noUncheckedIndexedAccess', '--verbatimModuleSyntax', '--isolatedDeclarations', '--declaration', '--emitDeclarationOnly', '--target', 'es2022', '--types', 'node', '--typeRoots', join(root, 'node_modules/@types')];
  const matrix = [
    ['node16', 'node16', 'strictest.mts'],
    ['nodenext', 'nodenext', 'strictest.mts'],
    ['esnext', 'bundler', 'strictest.ts'],
  ];
  for (const [module, resolution, file] of matrix) {
    if (file !== 'strictest.ts') writeFileSync(join(scratch, file), strictest);
    run('node', [tsc, ...flags, '--module', module, '--moduleResolution', resolution, '--outDir', `out-${resolution}`, file]);
    console.log(`install test: strictest consumer (${file}, moduleResolution ${resolution}) ok`);
  }
  console.log(`install: ${6 + matrix.length} passed, 0 failed`);
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
