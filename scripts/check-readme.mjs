// Type-checks every ```ts block of README.md against the source, so the README cannot drift from
// the API. Each block is its own module; names a snippet only alludes to (fetchUser, User, log...)
// are declared once in a shared prelude below. Blocks are checked, not run.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const dir = join(root, '.tmp', 'readme');
rmSync(dir, { recursive: true, force: true });
mkdirSync(dir, { recursive: true });

const prelude = `// Names the README's snippets allude to without defining.
declare global {
  interface User { id: string; name: string }
  class NetworkError extends Error {}
  function fetchUser(id: string, options?: { signal?: AbortSignal }): Promise<User>;
  function chargeCard(amount: number): Promise<string>;
  function refundCard(id: string): Promise<string>;
  const fn: (...args: any[]) => Promise<unknown>;
  const getUser: (id: string) => Promise<User>;
  const api: { get(id: string): Promise<User>; list(): Promise<User[]> };
  const cache: { get(id: string): User | undefined };
  const log: { info(...a: unknown[]): void; warn(...a: unknown[]): void; debug(...a: unknown[]): void };
  const breaker: import('circuitry').CircuitBreaker;
  const payments: import('circuitry').CircuitBreaker;
  const res: import('node:http').ServerResponse;
}
export {};
`;
writeFileSync(join(dir, 'prelude.d.ts'), prelude);

const readme = readFileSync(join(root, 'README.md'), 'utf8');
const blocks = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]);
const lineOf = (index) => readme.slice(0, index).split('\n').length;
const starts = [...readme.matchAll(/```ts\n/g)].map((m) => lineOf(m.index) + 1);
blocks.forEach((code, i) => {
  // A snippet without imports continues the story of the ones before it: give it the API.
  const header = /^import /m.test(code) ? '' : "import { CircuitBreaker, callSignal, circuit, isCircuitOpenError, retry, timeout } from 'circuitry';\n";
  writeFileSync(join(dir, `block-${String(i).padStart(2, '0')}-line-${starts[i]}.ts`), `${header}${code}\nexport {};\n`);
});
writeFileSync(
  join(dir, 'tsconfig.json'),
  JSON.stringify({
    extends: '../../tsconfig.json',
    compilerOptions: { noUnusedLocals: false, noUnusedParameters: false, paths: { circuitry: ['../../src/index.ts'], 'circuitry/prometheus': ['../../src/prometheus.ts'] } },
    include: ['.'],
  }),
);
try {
  execFileSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', dir], { stdio: 'inherit' });
} catch {
  console.error(`README code blocks do not type-check (files in ${dir} are named after the README line they start on)`);
  process.exit(1);
}
console.log(`readme: ${blocks.length} passed, 0 failed`);
