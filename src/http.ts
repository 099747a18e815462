/**
 * `circuitry/http`: every breaker of a registry over HTTP, for any server that gives `node:http`
 * requests and responses (Express, Fastify's raw ones, Nest): a JSON status, a stream of
 * transitions, a live page ({@link statusHandler}); and `Retry-After` from a refusal
 * ({@link retryAfterSeconds}). Imports no Node module.
 *
 * @packageDocumentation
 */
export { statusHandler } from './adapters/http/handler.js';
export type { ControlAction, StatusHandler, StatusHandlerOptions } from './adapters/http/handler.js';
export type { RequestLike, ResponseLike } from './adapters/http/request.js';
export { MAX_RETRY_AFTER_SECONDS, retryAfterSeconds } from './adapters/http/retry-after.js';
export type { CircuitStatus, StatusReport } from './adapters/http/status.js';
