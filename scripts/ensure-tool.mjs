// Tests that run a real tool (promtool from Debian's prometheus package, Debian's chromium) need
// it installed; on a fresh machine it is installed from Debian's packages here, as
// ensure-redis.mjs does for redis-server. `node scripts/ensure-tool.mjs promtool chromium`.
import { execFileSync, spawnSync } from 'node:child_process';

const TOOLS = {
  promtool: { packageName: 'prometheus', version: ['--version'] },
  chromium: { packageName: 'chromium', version: ['--version'] },
};

for (const tool of process.argv.slice(2)) {
  const { packageName, version } = TOOLS[tool] ?? {};
  if (packageName === undefined) throw new Error(`unknown tool ${tool}: one of ${Object.keys(TOOLS).join(', ')}`);
  const has = () => spawnSync(tool, version, { stdio: 'ignore' }).status === 0;
  if (!has()) {
    if (process.getuid?.() !== 0) {
      console.error(`${tool} is missing and this is not root: install Debian's ${packageName} package, then run npm test again`);
      process.exit(1);
    }
    console.log(`${tool} is missing: installing it from Debian's ${packageName} package`);
    const apt = (...args) => execFileSync('apt-get', args, { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
    apt('update');
    apt('install', '-y', '--no-install-recommends', packageName);
    // The prometheus package starts a server; the tests only need its promtool.
    if (packageName === 'prometheus') spawnSync('service', ['prometheus', 'stop'], { stdio: 'ignore' });
  }
  console.log(`${tool}: ${execFileSync(tool, version).toString().split('\n')[0].trim()}`);
}
