import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';

// These run the built package in a child process, as users run it: `npm test` builds first.
const root = fileURLToPath(new URL('../..', import.meta.url));
const built = existsSync(`${root}/dist/index.js`) && existsSync(`${root}/examples/dist/offer-service/main.js`);

describe('in a real process', () => {
  beforeAll(() => {
    if (!built) throw new Error('these tests run the built package: run `npm run build` first (npm test does)');
  });

  it('a process whose breaker is open exits as soon as its own work is done (rule 14)', () => {
    const script = `
      import { circuit, isCircuitOpenError } from './dist/index.js';
      const guarded = circuit(async () => { throw new Error('down'); }, { failureThreshold: 1, recoveryTimeout: 3_600_000 });
      await guarded().catch(() => {});
      const rejected = await guarded().catch((e) => isCircuitOpenError(e));
      console.log(guarded.breaker.state, rejected);
    `;
    // If anything held the event loop for the hour-long recovery timeout, the child would be killed.
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: root, encoding: 'utf8', timeout: 30_000 });
    expect(child.signal).toBeNull();
    expect(child.status).toBe(0);
    expect(child.stdout.trim()).toBe('open true');
  });

  it('a process that ran retries, timeouts and an open breaker to completion exits on its own', () => {
    const script = `
      import { circuit, retry, timeout } from './dist/index.js';
      let calls = 0;
      const flaky = async () => { calls += 1; if (calls < 3) throw new Error('blip'); return 'ok'; };
      // Long timers: if any outlived its call, this process would stay up for an hour.
      const guarded = circuit(retry(timeout(flaky, 3_600_000), { attempts: 5, wait: 1 }), { failureThreshold: 1, recoveryTimeout: 3_600_000 });
      const first = await guarded();
      const failing = circuit(timeout(async () => { throw new Error('down'); }, 3_600_000), { failureThreshold: 1, recoveryTimeout: 3_600_000 });
      await failing().catch(() => {});
      const rejected = await retry(failing, { attempts: 3, maxElapsed: 1000 })().catch((e) => e.name);
      console.log(first, calls, rejected);
    `;
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: root, encoding: 'utf8', timeout: 30_000 });
    expect(child.signal).toBeNull();
    expect(child.stderr).toBe('');
    expect(child.stdout.trim()).toBe('ok 3 CircuitOpenError');
  });

  it('a rejection nobody handles is still reported as an unhandled rejection', () => {
    const script = `
      import { CircuitBreaker, circuit } from './dist/index.js';
      const breaker = new CircuitBreaker({ name: 'ignored' });
      breaker.open();
      circuit(async () => 1, breaker)();
    `;
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: root, encoding: 'utf8', timeout: 30_000 });
    expect(child.status).toBe(1);
    expect(child.stderr).toContain('CircuitOpenError: Circuit "ignored" is open');
  });

  it('a failure of a closed circuit that nobody handles is still reported as unhandled', () => {
    const script = `
      import { circuit } from './dist/index.js';
      circuit(async () => { throw new Error('nobody listens'); })();
    `;
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: root, encoding: 'utf8', timeout: 30_000 });
    expect(child.status).toBe(1);
    expect(child.stderr).toContain('Error: nobody listens');
  });

  it('npm run demo tells the story and exits by itself', () => {
    const child = spawnSync(process.execPath, ['examples/dist/offer-service/main.js'], { cwd: root, encoding: 'utf8', timeout: 60_000 });
    expect(child.status).toBe(0);
    const lines = child.stdout.split('\n');
    const changes = lines.filter((l) => l.includes('** circuit')).map((l) => l.split('** circuit ')[1]);
    expect(changes).toEqual(['closed -> open', 'open -> half-open', 'half-open -> closed']);
    expect(child.stdout).toContain('circuit open, failures in a row 3, partner requests so far 4');
    expect(child.stdout).toContain('(fallback)');
  });
});
