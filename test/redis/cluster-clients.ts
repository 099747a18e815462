import { Cluster } from 'ioredis';
import { createCluster } from 'redis';

/** The two cluster clients circuitry supports, each connected through the node on `seedPort`. */
export const CLUSTER_CLIENTS = {
  'ioredis Cluster': async (seedPort: number) => {
    const client = new Cluster([{ host: '127.0.0.1', port: seedPort }], {
      redisOptions: { maxRetriesPerRequest: 1, connectTimeout: 1_000 },
      clusterRetryStrategy: () => 100,
    });
    client.on('error', () => {});
    await new Promise<void>((resolve, reject) => {
      client.once('ready', resolve);
      client.once('end', () => reject(new Error('ioredis Cluster ended before it was ready')));
    });
    return { client, quit: () => client.disconnect() };
  },
  'node-redis createCluster': async (seedPort: number) => {
    const client = createCluster({
      rootNodes: [{ url: `redis://127.0.0.1:${seedPort}` }],
      defaults: { socket: { reconnectStrategy: () => 100, connectTimeout: 1_000 } },
    });
    client.on('error', () => {});
    await client.connect();
    return { client, quit: () => client.destroy() };
  },
} as const;

export type ClusterClientKind = keyof typeof CLUSTER_CLIENTS;
export const CLUSTER_CLIENT_KINDS = Object.keys(CLUSTER_CLIENTS) as ClusterClientKind[];
