// Bun's own RedisClient is accepted as it is, typed by @types/bun: no cast, no adapter. Checked
// against the installed package's declarations.
import { RedisClient } from 'bun';
import { redisStore } from 'circuitry/redis';

redisStore(new RedisClient('redis://127.0.0.1:6379'));
// @ts-expect-error: not a Redis client
redisStore({ get: async () => null });
