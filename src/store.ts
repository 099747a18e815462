/**
 * `circuitry/store`: circuit state shared across processes through a backend of your own. See
 * {@link sharedStore}; `redisStore` from `circuitry/redis` is this over Redis. A backend
 * implements {@link SharedStateBackend}: four atomic operations on one record per breaker name.
 *
 * @packageDocumentation
 */
export { sharedStore } from './store/real-time-store.js';
export type { SharedStoreOptions } from './store/shared-store.js';
export type { ChangeAnswer, ChangeMode, CloseRequest, CountAnswer, CountBatch, CountStamp, OpenRequest, PushListener, RequestStamp, SharedRecord, SharedStateBackend, SharedStateCounting, SharedStatePush, TrialAnswer } from './store/shared-record.js';
export type { WindowRule } from './breaker/attached-breaker.js';
