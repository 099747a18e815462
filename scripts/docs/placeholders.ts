// The names the docs' snippets allude to without defining (fetchUser, User, log, breaker...):
// declared here for the type check and defined here for the run, in one file so that the two
// cannot disagree. Every placeholder answers at once: no snippet waits on one.
import { CircuitBreaker } from 'circuitry';
import { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';

type LogLine = [level: 'info' | 'warn' | 'debug', ...args: unknown[]];

declare global {
  interface User {
    id: string;
    name: string;
  }
  interface NetworkError extends Error {}
  var NetworkError: new (message?: string) => NetworkError;
  var fetchUser: (id: string, options?: { signal?: AbortSignal }) => Promise<User>;
  var chargeCard: (amount: number) => Promise<string>;
  var refundCard: (id: string) => Promise<string>;
  var fn: (...args: any[]) => Promise<unknown>;
  var getUser: (id: string) => Promise<User>;
  var api: { get(id: string): Promise<User>; list(): Promise<User[]> };
  var cache: { get(id: string): User | undefined };
  // Records instead of printing, so a run stays quiet.
  var log: { info(...a: unknown[]): void; warn(...a: unknown[]): void; debug(...a: unknown[]): void; readonly lines: LogLine[] };
  var breaker: CircuitBreaker;
  var payments: CircuitBreaker;
  var res: ServerResponse;
}

const user = (id: string): User => ({ id, name: 'Ada' });
const lines: LogLine[] = [];

globalThis.NetworkError = class NetworkError extends Error {
  override readonly name = 'NetworkError';
};
globalThis.fetchUser = async (id, options) => {
  options?.signal?.throwIfAborted();
  return user(id);
};
globalThis.chargeCard = async (amount) => `charge-${amount}`;
globalThis.refundCard = async (id) => `refund-${id}`;
globalThis.fn = async () => 'done';
globalThis.getUser = async (id) => user(id);
globalThis.api = { get: async (id) => user(id), list: async () => [user('42')] };
globalThis.cache = { get: (id) => user(id) };
globalThis.log = {
  info: (...a) => lines.push(['info', ...a]),
  warn: (...a) => lines.push(['warn', ...a]),
  debug: (...a) => lines.push(['debug', ...a]),
  lines,
};
// Named as a snippet would name them, but kept out of the default registry: a snippet that makes
// its own 'payments' breaker must not clash with this one.
globalThis.breaker = new CircuitBreaker({ name: 'users-api', registry: false });
globalThis.payments = new CircuitBreaker({ name: 'payments', failureThreshold: 3, registry: false });
// A response with no client behind it: what a snippet writes to it goes nowhere.
globalThis.res = new ServerResponse(new IncomingMessage(new Socket()));
