import { CircuitBreaker } from 'circuitry';
import { redisStore } from 'circuitry/redis';
import { expect, it } from 'vitest';

// Bun's RedisClient is a client of its own shape: `send(command, args)`. The runtime matrix runs
// it against a real redis-server under Bun; this pins how circuitry talks to that shape.
it("talks to Bun's RedisClient through send(command, args), with the command apart from its arguments", async () => {
  const sent: [string, string[]][] = [];
  const client = {
    send: async (command: string, args: string[]) => {
      sent.push([command, args]);
      return ['none', 0, 0, 0, 0, 0, 0];
    },
  };
  const store = redisStore(client, { prefix: 'bun:', syncInterval: 60_000 });
  new CircuitBreaker({ name: 'shaped', registry: false, store });
  await store.sync();
  store.close();
  expect(sent.length).toBeGreaterThan(0);
  const [command, args] = sent[0]!;
  expect(command).toBe('EVALSHA');
  expect(args.slice(1, 4)).toEqual(['1', 'bun:shaped', 'read']);
  expect(args.every((a) => typeof a === 'string')).toBe(true);
});
