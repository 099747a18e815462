import { invalid } from '../../check/check.js';

/** Sends one Redis command, as an array of strings, and resolves with its reply. */
export type SendCommand = (args: string[]) => Promise<unknown>;

/**
 * The part of a Redis client circuitry uses: ioredis's `call(command, ...args)`, node-redis's
 * `sendCommand([command, ...args])` or Bun's `RedisClient` `send(command, args)`. No client is
 * imported; the user's own client is.
 */
export type RedisClientLike =
  | {
      /** ioredis: sends `command` with its arguments and resolves with the reply. */
      call(command: string, ...args: string[]): Promise<unknown>;
    }
  | {
      /** node-redis: sends the command and its arguments as one array and resolves with the reply. */
      sendCommand(args: string[]): Promise<unknown>;
    }
  | {
      /** Bun's built-in `RedisClient`: sends `command` with its arguments and resolves with the reply. */
      send(command: string, args: string[]): Promise<unknown>;
    };

export function sendCommandOf(client: unknown): SendCommand {
  const c = client as { call?: unknown; sendCommand?: unknown; send?: unknown } | null;
  // ioredis also has a sendCommand, taking its own Command objects: `call` must be tried first.
  if (typeof c?.call === 'function') {
    const call = c.call as (command: string, ...args: string[]) => Promise<unknown>;
    return (args) => call.apply(client, args as [string, ...string[]]);
  }
  if (typeof c?.sendCommand === 'function') {
    const send = c.sendCommand as (args: string[]) => Promise<unknown>;
    return (args) => send.call(client, args);
  }
  if (typeof c?.send === 'function') {
    const send = c.send as (command: string, args: string[]) => Promise<unknown>;
    return ([command, ...args]) => send.call(client, command!, args);
  }
  return invalid(TypeError, 'client', 'an ioredis, node-redis or Bun RedisClient (with call, sendCommand or send)', client);
}
