// Installs the benchmark's own dependencies (opossum, cockatiel, esbuild) when they are missing.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
if (!['opossum', 'cockatiel', 'esbuild'].every((name) => existsSync(`${here}node_modules/${name}/package.json`))) {
  execFileSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: here, stdio: 'inherit' });
}
