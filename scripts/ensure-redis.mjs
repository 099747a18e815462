// The Redis store's tests run against a real redis-server. On a fresh machine it is installed
// from Debian's packages here, so `npm ci && npm test` needs nothing installed by hand.
import { execFileSync, spawnSync } from 'node:child_process';

const has = () => spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;

if (!has()) {
  if (process.getuid?.() !== 0) {
    console.error('redis-server is missing and this is not root: install Debian\'s redis-server package, then run npm test again');
    process.exit(1);
  }
  console.log('redis-server is missing: installing it from Debian\'s packages');
  const apt = (...args) => execFileSync('apt-get', args, { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  apt('update');
  apt('install', '-y', '--no-install-recommends', 'redis-server');
  // The package starts a server on the default port; the tests start their own on random ports.
  spawnSync('service', ['redis-server', 'stop'], { stdio: 'ignore' });
}
console.log(`redis: ${execFileSync('redis-server', ['--version']).toString().trim()}`);
