import { invalid } from '../../check/check.js';

/** Sends one Redis command, as an array of strings, and resolves with its reply. */
export type SendCommand = (args: string[]) => Promise<unknown>;

/**
 * The part of a Redis client circuitry uses: ioredis's `call(command, ...args)` (a `Redis` or a
 * `Cluster`), node-redis's `sendCommand([command, ...args])`, a node-redis cluster's
 * `sendCommand(firstKey, isReadonly, [command, ...args])` or Bun's `RedisClient`
 * `send(command, args)`. No client is imported; the user's own client is.
 */
export type RedisClientLike =
  | {
      /** ioredis (`Redis` or `Cluster`): sends `command` with its arguments and resolves with the reply. */
      call(command: string, ...args: string[]): Promise<unknown>;
    }
  | {
      /** node-redis: sends the command and its arguments as one array and resolves with the reply. */
      sendCommand(args: string[]): Promise<unknown>;
    }
  | {
      /**
       * node-redis cluster (`createCluster`): sends the command to the master of `firstKey`'s slot
       * and resolves with the reply.
       */
      sendCommand(firstKey: string | undefined, isReadonly: boolean | undefined, args: string[]): Promise<unknown>;
      /** The cluster's masters: how a cluster is told from a single node-redis client. */
      readonly masters: unknown;
    }
  | {
      /** Bun's built-in `RedisClient`: sends `command` with its arguments and resolves with the reply. */
      send(command: string, args: string[]): Promise<unknown>;
    };

export function sendCommandOf(client: unknown): SendCommand {
  const c = client as { call?: unknown; sendCommand?: unknown; send?: unknown } | null;
  // ioredis also has a sendCommand, taking its own Command objects: `call` must be tried first.
  // An ioredis Cluster routes `call` by the command's keys itself.
  if (typeof c?.call === 'function') {
    const call = c.call as (command: string, ...args: string[]) => Promise<unknown>;
    return (args) => call.apply(client, args as [string, ...string[]]);
  }
  if (typeof c?.sendCommand === 'function' && 'masters' in c) {
    // A node-redis cluster routes a raw command by the key it is given, not by its arguments.
    // Every script may write (a read brings a record's times back to Redis's clock), so none is
    // sent as read-only, which could send it to a replica.
    const send = c.sendCommand as (firstKey: string | undefined, isReadonly: boolean, args: string[]) => Promise<unknown>;
    return (args) => send.call(client, firstKeyOf(args), false, args);
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

/**
 * The key a cluster routes `args` by, as Redis itself reads it: for `EVAL`/`EVALSHA script numkeys
 * key...` the first key, for `SPUBLISH channel message` the channel. circuitry sends nothing else.
 */
function firstKeyOf(args: string[]): string | undefined {
  const command = args[0]?.toUpperCase();
  if ((command === 'EVAL' || command === 'EVALSHA') && Number(args[2]) > 0) return args[3];
  if (command === 'SPUBLISH') return args[1];
  return undefined;
}

/**
 * Which master serves a slot, as the cluster client last learned (ioredis's `slots[slot][0]`,
 * node-redis's `slots[slot].master`), so that what goes to one node can go together. A client
 * that shows no slot map gives each slot its own name: batches then go per slot.
 */
export function nodeOfSlotIn(client: unknown): (slot: number) => string {
  const slots = (): unknown[] | undefined => {
    const map = (client as { slots?: unknown } | null)?.slots;
    return Array.isArray(map) ? map : undefined;
  };
  return (slot) => {
    const served = slots()?.[slot];
    if (Array.isArray(served) && typeof served[0] === 'string') return served[0];
    const master = (served as { master?: { host?: unknown; port?: unknown } } | undefined)?.master;
    if (master?.host !== undefined && master.port !== undefined) return `${String(master.host)}:${String(master.port)}`;
    return `slot ${slot}`;
  };
}

/** Runs a script by its SHA1, and by its text when Redis does not know it (after a restart). */
export async function evaluate(send: SendCommand, sha: string, text: string, tail: string[]): Promise<unknown> {
  try {
    return await send(['EVALSHA', sha, ...tail]);
  } catch (error) {
    // Redis forgets scripts when it restarts; the first call after that sends the text again.
    if (!String((error as Error | undefined)?.message).startsWith('NOSCRIPT')) throw error;
    return await send(['EVAL', text, ...tail]);
  }
}
