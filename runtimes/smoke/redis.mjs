// circuitry/redis loaded where there is no Node built-in (a browser, workerd): it must load and
// speak to a client, here one of Bun's shape answering in memory.
import { CircuitBreaker } from 'circuitry';
import { redisStore } from 'circuitry/redis';
import { sharedStore } from 'circuitry/store';
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
  async 'sharedStore loads, on a backend of its own'() {
    const open = { state: 'open', generation: 1, elapsed: 10, openPeriod: 60_000, openings: 1 };
    const backend = { read: async () => open, open: async () => open, close: async () => open, trial: async () => ({ granted: false, wait: 0, record: open }) };
    const store = sharedStore(backend, { syncInterval: 60_000 });
    const breaker = new CircuitBreaker({ name: 'smoke-store', registry: false, store });
    await store.sync();
    store.close();
    eq(breaker.state, 'open', 'a breaker sees the state the backend read');
  },
};
