// circuitry/redis loaded where there is no Node built-in (a browser, workerd): it must load and
// speak to a client, here one of Bun's shape answering in memory.
import { CircuitBreaker } from 'circuitry';
import { redisStore } from 'circuitry/redis';
import { eq } from './assert.mjs';

export const redisChecks = {
  async 'redisStore loads'() {
    const sent = [];
    const client = {
      send: async (command, args) => {
        sent.push(command);
        return ['open', 1, 10, 60_000, 1, 0, 0];
      },
    };
    const store = redisStore(client, { syncInterval: 60_000 });
    const breaker = new CircuitBreaker({ name: 'smoke-redis', registry: false, store });
    await store.sync();
    store.close();
    eq(sent[0], 'EVALSHA', 'the first command');
    eq(breaker.state, 'open', 'a breaker sees the state the store read');
  },
};
