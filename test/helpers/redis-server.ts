import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';

/** A free loopback port, as the kernel hands one out. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/**
 * A real redis-server of the machine (scripts/ensure-redis.mjs installs it) on a random loopback
 * port, with no persistence, so that a restart loses every key as a crash would.
 */
export async function startRedis(extraArgs: string[] = []) {
  const port = await freePort();
  let child: ChildProcess | undefined;
  const start = async () => {
    const running = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--protected-mode', 'no', ...extraArgs], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    child = running;
    // Ready when the server says so in its log: an event, not a poll on a timer.
    await new Promise<void>((resolve, reject) => {
      let log = '';
      running.stdout!.on('data', (chunk: Buffer) => {
        log += chunk.toString();
        if (log.includes('Ready to accept connections')) resolve();
      });
      running.once('error', reject);
      running.once('exit', (code) => reject(new Error(`redis-server on port ${port} exited with ${code}: ${log.slice(-500)}`)));
    });
    running.stdout!.resume();
  };
  const stop = async () => {
    const running = child;
    child = undefined;
    if (running === undefined || running.exitCode !== null) return;
    const exited = new Promise((resolve) => running.once('exit', resolve));
    running.kill('SIGKILL');
    await exited;
  };
  await start();
    /** Freezes the server (SIGSTOP) or wakes it (SIGCONT): a hang, with connections left open. */
  const signal = (name: 'SIGSTOP' | 'SIGCONT') => void child?.kill(name);
  return { port, url: `redis://127.0.0.1:${port}`, stop, start, signal, restart: async () => (await stop(), await start()) };
}

/**
 * Resolves once Redis's own clock (TIME, which the Lua script reads and no test can inject) is
 * `ms` past where it stood at the call, asking it every 10 ms; rejects after `ms` + 5 s.
 */
export async function redisTimePasses(raw: (...args: string[]) => Promise<unknown>, ms: number): Promise<void> {
  const now = async () => {
    const [seconds, micros] = (await raw('TIME')) as [string, string];
    return Number(seconds) * 1000 + Number(micros) / 1000;
  };
  const until = (await now()) + ms;
  const giveUp = Date.now() + ms + 5_000;
  while ((await now()) < until) {
    if (Date.now() > giveUp) throw new Error(`Redis's clock did not move ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
