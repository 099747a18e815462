// The browser run uses Debian's chromium, never a browser download. On a fresh machine it is
// installed here, as scripts/ensure-redis.mjs installs redis-server, so CI needs nothing by hand.
import { execFileSync, spawnSync } from 'node:child_process';

export const CHROMIUM = '/usr/bin/chromium';

export function ensureChromium() {
  const has = () => spawnSync(CHROMIUM, ['--version'], { stdio: 'ignore' }).status === 0;
  if (has()) return;
  if (process.getuid?.() !== 0) {
    throw new Error('chromium is missing and this is not root: install Debian\'s chromium package, then run the matrix again');
  }
  console.log('chromium is missing: installing it from Debian\'s packages');
  const apt = (...args) => execFileSync('apt-get', args, { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  apt('update');
  apt('install', '-y', 'chromium');
  if (!has()) throw new Error('chromium was installed but does not run');
}
