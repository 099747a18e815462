import type { CountAnswer, CountBatch, CountStamp, SharedRecord, SharedStateCounting } from 'circuitry/store';
import { COUNT_SCRIPT } from './count-script.js';
import type { SendCommand } from './redis-client.js';
import { evaluate } from './redis-client.js';
import { keySlot } from './key-slot.js';

// SHA1 of COUNT_SCRIPT; test/redis/script-hash.test.ts recomputes it.
const COUNT_SHA = '6847c6b4e3dba9c0f2d5eff826d49fc5d745fc1f';

/**
 * The counting capability over Redis (`judge: 'fleet'`); `announceOf` gives the command and
 * channel on which a record's change is published (as for the record script), and each record a
 * flush opens is announced on its own channel. Outside a cluster every window is a field of one
 * hash, `<prefix>counts`, so a flush of many breakers is a handful of commands in all; in a
 * cluster each record has its own hash of one window, in the record's slot.
 */
export function redisCounting(send: SendCommand, prefix: string, keyTtl: number, announceOf: (key: string) => string[], cluster = false): SharedStateCounting {
  const windowsOf = (name: string): string => (cluster ? sameSlot(prefix + name, ':counts') : `${prefix}counts`);
  return {
    version: 1,
    async count(batches: readonly CountBatch[], stamp: CountStamp): Promise<CountAnswer> {
      const flushKey = `flush:${stamp.owner}:${stamp.flush}`;
      const keys = [cluster ? sameSlot(prefix + batches[0]!.name, `:${flushKey}`) : prefix + flushKey];
      // In a cluster the batch is of one slot (the store groups it so), and every key it declares is in it.
      const args = [String(keyTtl), announceOf(prefix + batches[0]!.name)[0]!, String(stamp.decidedAt), String(stamp.maxAge)];
      for (const batch of batches) {
        keys.push(windowsOf(batch.name), prefix + batch.name);
        const w = batch.window;
        args.push(batch.name, ...[batch.generation, batch.calls, batch.failures, batch.slowCalls].map(String), w.kind);
        args.push(...[w.kind === 'count' ? w.size : w.duration, w.kind === 'time' ? Math.min(w.buckets, 100) : 0, w.failureRate, w.slowCallRate, w.minimumCalls, batch.openPeriod, batch.openings].map(String));
        args.push(announceOf(prefix + batch.name)[1]!);
      }
      const reply = await evaluate(send, COUNT_SHA, COUNT_SCRIPT, [String(keys.length), ...keys, ...args]);
      return answerOf(reply, batches.length);
    },
  };
}

/**
 * A key in the same cluster slot as `key`, ending in `suffix`: `key` keeps its own hash tag when
 * it has one, and becomes the tag otherwise.
 */
function sameSlot(key: string, suffix: string): string {
  const tagged = `${key}${suffix}`;
  if (keySlot(tagged) === keySlot(key)) return tagged;
  return `{${key}}${suffix}`;
}

function answerOf(reply: unknown, count: number): CountAnswer {
  const r = Array.isArray(reply) ? reply : [];
  const at = Number(r[0]);
  if (r[1] === 'late') return { late: true, records: [] };
  if (r[1] === 'repeated') return { repeated: true, records: [] };
  const records = Array.from({ length: count }, (_, i): SharedRecord | undefined => {
    const [state, a, b, c, d] = r.slice(2 + 5 * i, 7 + 5 * i) as unknown[];
    if (state === 'counted') return undefined;
    if (state === 'foreign') return { state, generation: 0, elapsed: 0, openPeriod: 0, openings: 0, at, problem: String(a) };
    if (state !== 'closed' && state !== 'open') {
      return { state: 'foreign', generation: 0, elapsed: 0, openPeriod: 0, openings: 0, problem: `unexpected reply from Redis: ${JSON.stringify(reply)}` };
    }
    return { state, generation: Number(a), elapsed: Number(b), openPeriod: Number(c), openings: Number(d), at };
  });
  return { records };
}
