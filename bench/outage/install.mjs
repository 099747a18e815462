// Installs the benchmark's own dependencies (bench/package.json) when one is missing.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const bench = fileURLToPath(new URL('..', import.meta.url));
if (!['opossum', 'cockatiel', 'ioredis'].every((name) => existsSync(`${bench}node_modules/${name}/package.json`))) {
  execFileSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: bench, stdio: 'inherit' });
}
