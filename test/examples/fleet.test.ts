import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));
const main = `${root}examples/dist/fleet/main.js`;

// The demo runs as a user runs it: built, three real processes, a real redis-server. Nothing here
// depends on how fast the machine is; the demo's own time limit is raised for a loaded one.
describe('examples/fleet', () => {
  it("tells the fleet's story: one process's failures open the circuit in all three, one trial in the fleet closes it in all, a ramp lets traffic back gradually", async () => {
    expect(existsSync(main), 'run `npm run build` first (npm test does)').toBe(true);
    const { REDIS_URL: _ignored, ...env } = process.env;
    const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = execFile(process.execPath, [main], { cwd: root, env: { ...env, FLEET_DEMO_LIMIT_MS: '120000' }, timeout: 180_000 }, (_error, stdout, stderr) =>
        resolve({ code: child.exitCode, stdout, stderr }),
      );
    });
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const lines = stdout.trim().split('\n');
    const linesOf = (service: number) => lines.filter((line) => line.startsWith(`[service-${service}] `));
    expect(lines[0]).toMatch(/^redis: started redis-server at redis:\/\/127\.0\.0\.1:\d+ for this demo/);

    expect(linesOf(1).filter((line) => line.includes('closed -> open'))).toEqual(['[service-1] closed -> open (its own 3 failures)']);
    for (const service of [2, 3]) {
      expect(linesOf(service).filter((line) => line.includes('closed -> open'))).toEqual([
        expect.stringMatching(new RegExp(`^\\[service-${service}\\] closed -> open \\(decided by another process, taken from Redis \\d+ ms later\\)$`)),
      ]);
      expect(linesOf(service)).toContain(`[service-${service}] call rejected: rejected by the open circuit, the dependency not called`);
    }
    expect(lines).toContain('dependency: requests so far: service-1 3, service-2 0, service-3 0');

    const trials = lines.filter((line) => line.includes('] trial call: '));
    expect(trials).toEqual([expect.stringMatching(/^\[service-[123]\] trial call: the dependency answered 200$/)]);
    for (const service of [1, 2, 3]) expect(linesOf(service).filter((line) => line.endsWith('-> closed'))).toHaveLength(1);
    expect(lines).toContain('fleet: closed everywhere after 1 trial call in the whole fleet');

    // Each process's ramp: a growing share of calls let through over the 2 s after its close.
    for (const service of [1, 2, 3]) {
      const ramp = linesOf(service).filter((line) => line.includes('ramp after the close'));
      expect(ramp).toEqual([expect.stringMatching(new RegExp(`^\\[service-${service}\\] ramp after the close, calls let through per 500 ms: (\\d+/\\d+, ){4}\\d+/\\d+$`))]);
      const slices = ramp[0]!.split(': ')[1]!.split(', ').map((slice) => slice.split('/').map(Number) as [number, number]);
      const [firstSecondLet, firstSecondMade] = [slices[0]![0] + slices[1]![0], slices[0]![1] + slices[1]![1]];
      expect(firstSecondLet, `service-${service}: ${ramp[0]}`).toBeGreaterThan(0);
      expect(firstSecondLet, `service-${service}: ${ramp[0]}`).toBeLessThan(firstSecondMade);
      expect(slices[4]![0], `service-${service}: ${ramp[0]}`).toBe(slices[4]![1]);
    }
    expect(lines.at(-1)).toMatch(/^dependency: requests in all: service-1 \d+, service-2 \d+, service-3 \d+$/);
  }, 200_000);
});
