/**
 * `circuitry/redis`: circuit state shared across processes through Redis, with the user's own
 * client (ioredis, node-redis or Bun's RedisClient). See {@link redisStore}.
 *
 * @packageDocumentation
 */
export { redisStore } from './adapters/redis/redis-store.js';
export type { RedisStoreOptions } from './adapters/redis/redis-store.js';
export type { RedisClientLike } from './adapters/redis/redis-client.js';
