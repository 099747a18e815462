import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { redisStore } from 'circuitry/redis';

// Both clients are accepted as they are: no cast, no adapter.
redisStore(new Redis({ lazyConnect: true }));
redisStore(createClient());
// @ts-expect-error: not a Redis client
redisStore({ get: async () => null });
