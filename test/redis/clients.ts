import { Redis } from 'ioredis';
import { createClient } from 'redis';

/** Both clients circuitry/redis supports, connected to `url`; `quit` ends them. */
export const CLIENTS = {
  ioredis: async (url: string) => {
    const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
    client.on('error', () => {});
    await client.connect();
    return { client, raw: (...args: string[]) => client.call(...(args as [string, ...string[]])), quit: () => client.quit() };
  },
  'node-redis': async (url: string) => {
    const client = createClient({ url });
    client.on('error', () => {});
    await client.connect();
    return { client, raw: (...args: string[]) => client.sendCommand(args), quit: () => client.close() };
  },
} as const;
