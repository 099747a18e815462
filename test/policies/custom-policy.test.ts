import { describe, expect, it } from 'vitest';
import { driven } from '../helpers/drive.js';

describe('custom policies', () => {
  it('are plugged in through the policy option and contained when they throw', async () => {
    const seen: string[] = [];
    const reports: string[] = [];
    const d = driven({
      policy: () => ({
        onSuccess: () => {
          seen.push('success');
          throw new Error('policy broke');
        },
        onFailure: () => {
          seen.push('failure');
          return seen.length >= 3;
        },
        reset: () => seen.push('reset'),
      }),
      reportError: (_e, source) => reports.push(source),
    });
    await expect(d.guarded('ok')).resolves.toBe('ok');
    await d.run('fail', 'fail');
    expect(seen).toEqual(['success', 'failure', 'failure']);
    expect(d.breaker.state).toBe('open');
    expect(reports).toEqual(['policy']);
    d.breaker.close();
    expect(seen.at(-1)).toBe('reset');
  });
});
