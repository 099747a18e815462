// The smoke test in workerd, Cloudflare's Workers runtime, without nodejs_compat: a module worker
// bundled with the conditions wrangler uses, answering a localhost fetch.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundle } from './lib/bundle.mjs';

const WORKERD = join(createRequire(import.meta.url).resolve('workerd/package.json'), '../bin/workerd');

const CONFIG = `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [(name = "smoke", worker = .smoke)],
  sockets = [(name = "http", address = "127.0.0.1:0", http = (), service = "smoke")],
);
const smoke :Workerd.Worker = (
  modules = [(name = "worker.js", esModule = embed "worker.js")],
  compatibilityDate = "2025-09-01",
);
`;

export async function runWorkerd(app) {
  const dir = mkdtempSync(join(tmpdir(), 'circuitry-workerd-'));
  writeFileSync(join(dir, 'worker.js'), await bundle(app, 'worker-entry.mjs', { format: 'esm', conditions: ['workerd', 'worker'] }));
  writeFileSync(join(dir, 'config.capnp'), CONFIG);
  // Port 0 and --control-fd: the kernel picks a free port and workerd says which once it listens.
  const child = spawn(WORKERD, ['serve', 'config.capnp', '--control-fd=3'], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stderr.on('data', (chunk) => (log += chunk));
  try {
    const port = await new Promise((resolve, reject) => {
      let control = '';
      child.stdio[3].on('data', (chunk) => {
        control += chunk;
        for (const line of control.split('\n')) {
          if (line.includes('"listen"')) resolve(JSON.parse(line).port);
        }
      });
      child.once('error', reject);
      child.once('exit', (code) => reject(new Error(`workerd exited with ${code}: ${log.slice(-1000)}`)));
      setTimeout(() => reject(new Error(`workerd did not listen within 30 s: ${log.slice(-1000)}`)), 30_000).unref();
    });
    const response = await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(30_000) });
    const body = await response.text();
    if (response.status !== 200) throw new Error(`the worker answered ${response.status}: ${body}\n${log.slice(-1000)}`);
    return body;
  } finally {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}
