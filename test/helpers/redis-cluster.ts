import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './redis-server.js';

const run = promisify(execFile);

/** One master of the cluster: its port and whether its process is running. */
interface Master {
  readonly port: number;
  /** The cluster bus port, given explicitly: the default (port + 10,000) may be taken or past 65,535. */
  readonly busPort: number;
  process: ChildProcess | undefined;
}

/** Sends one command to the node on `port` with redis-cli and returns its raw reply. */
async function cli(port: number, ...args: string[]): Promise<string> {
  const { stdout } = await run('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...args], { timeout: 10_000 });
  return stdout;
}

/** Resolves when `check` holds, asking every 100 ms; rejects with `what` after `deadline` ms. */
async function until(what: string, check: () => Promise<boolean>, deadline: number): Promise<void> {
  const giveUp = Date.now() + deadline;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (Date.now() > giveUp) throw new Error(`redis cluster: timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * A real Redis Cluster of three masters on free loopback ports, with `replicas` replicas each (0
 * by default), each node with its config in a temporary folder and no persistence: a master
 * killed and started again keeps its slots (from its nodes file) and loses its keys, as a crash
 * would. Nodes 0 to 2 are the masters it starts with; with replicas, node 3 + i replicates
 * master i. It fails loudly when the machine's redis-server cannot run a cluster.
 */
export async function startRedisCluster({ replicas = 0 }: { replicas?: 0 | 1 } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'circuitry-cluster-'));
  const count = 3 * (1 + replicas);
  const ports = new Set<number>();
  // The kernel may hand the same free port out twice before either is bound.
  while (ports.size < 2 * count) ports.add(await freePort());
  const all = [...ports];
  const nodes: Master[] = all.slice(0, count).map((port, i) => ({ port, busPort: all[count + i]!, process: undefined }));
  const p1 = nodes[0]!.port;

  const startNode = async (master: Master): Promise<void> => {
    const child = spawn(
      'redis-server',
      [
        '--port', String(master.port),
        '--bind', '127.0.0.1',
        '--cluster-enabled', 'yes',
        '--cluster-port', String(master.busPort),
        '--cluster-config-file', join(dir, `nodes-${master.port}.conf`),
        '--cluster-require-full-coverage', 'no',
        '--cluster-node-timeout', '1000',
        '--appendonly', 'no',
        '--save', '',
        '--protected-mode', 'no',
        '--dir', dir,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    master.process = child;
    await new Promise<void>((resolve, reject) => {
      let log = '';
      const take = (chunk: Buffer) => {
        log += chunk.toString();
        if (log.includes('Ready to accept connections')) resolve();
      };
      child.stdout!.on('data', take);
      child.stderr!.on('data', take);
      child.once('error', reject);
      child.once('exit', (code) => reject(new Error(`redis-server --cluster-enabled on port ${master.port} exited with ${code}: ${log.slice(-800)}`)));
    });
  };

  const stopNode = async (master: Master): Promise<void> => {
    const child = master.process;
    master.process = undefined;
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  };

  /** Every running node says the cluster is ok. */
  const settled = async (among: readonly Master[] = nodes): Promise<boolean> => {
    for (const master of among) {
      if (master.process === undefined) continue;
      if (!(await cli(master.port, 'CLUSTER', 'INFO')).includes('cluster_state:ok')) return false;
    }
    return true;
  };

  const stop = async (): Promise<void> => {
    await Promise.all(nodes.map(stopNode));
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    await Promise.all(nodes.map(startNode));
    await run(
      'redis-cli',
      ['--cluster', 'create', ...nodes.slice(0, 3).map((m) => `127.0.0.1:${m.port}`), '--cluster-replicas', '0', '--cluster-yes'],
      { timeout: 30_000 },
    );
    await until('cluster_state:ok on every master', () => settled(nodes.slice(0, 3)), 30_000);
    // Each replica joins and follows its master by id, so that which node is which stays known.
    for (const [i, replica] of nodes.slice(3).entries()) {
      const masterId = (await cli(nodes[i]!.port, 'CLUSTER', 'MYID')).trim();
      await cli(replica.port, 'CLUSTER', 'MEET', '127.0.0.1', String(p1), String(nodes[0]!.busPort));
      await until(`replica ${i} to know master ${i}`, async () => (await cli(replica.port, 'CLUSTER', 'NODES')).includes(masterId), 30_000);
      await cli(replica.port, 'CLUSTER', 'REPLICATE', masterId);
    }
    for (const replica of nodes.slice(3)) {
      await until('every replica in sync', async () => (await cli(replica.port, 'INFO', 'replication')).includes('master_link_status:up'), 30_000);
    }
    await until('cluster_state:ok on every node', () => settled(), 30_000);
  } catch (error) {
    await stop();
    throw error;
  }

  /** The index of the node serving each slot, as `asked` (a running node) says now (one CLUSTER NODES). */
  const slotMasters = async (asked = nodes.find((m) => m.process !== undefined)!): Promise<number[]> => {
    const table = await cli(asked.port, 'CLUSTER', 'NODES');
    const map = new Array<number>(16384).fill(-1);
    for (const line of table.trim().split('\n')) {
      const [, address, , , , , , , ...ranges] = line.split(' ');
      const index = nodes.findIndex((m) => m.port === Number(address!.split('@')[0]!.split(':')[1]));
      for (const range of ranges) {
        if (range.startsWith('[')) continue;
        const [from, to = from] = range.split('-').map(Number) as [number, number?];
        for (let slot = from; slot <= to!; slot++) map[slot] = index;
      }
    }
    return map;
  };

  /** Master `index`'s node id (CLUSTER MYID). */
  const nodeId = async (index: number): Promise<string> => (await cli(nodes[index]!.port, 'CLUSTER', 'MYID')).trim();

  /**
   * Moves `slot` from master `from` to master `to` as `redis-cli --cluster reshard` does for one
   * slot, one step at a time so that a test can act between them: `begin` marks the slot importing
   * on `to` and migrating on `from` (its keys still on `from`; a key not found there is redirected
   * with ASK), `moveKeys` MIGRATEs its keys to `to`, `finish` gives `to` the slot (SETSLOT NODE on
   * `to`, then `from`, then the third master) and waits until every master says so.
   */
  const slotMove = async (slot: number, from: number, to: number) => {
    const [fromId, toId] = [await nodeId(from), await nodeId(to)];
    return {
      begin: async () => {
        await cli(nodes[to]!.port, 'CLUSTER', 'SETSLOT', String(slot), 'IMPORTING', fromId);
        await cli(nodes[from]!.port, 'CLUSTER', 'SETSLOT', String(slot), 'MIGRATING', toId);
      },
      moveKeys: async () => {
        for (;;) {
          const keys = (await cli(nodes[from]!.port, 'CLUSTER', 'GETKEYSINSLOT', String(slot), '100')).split('\n').filter((k) => k !== '');
          if (keys.length === 0) return;
          const reply = await cli(nodes[from]!.port, 'MIGRATE', '127.0.0.1', String(nodes[to]!.port), '', '0', '5000', 'REPLACE', 'KEYS', ...keys);
          if (!reply.startsWith('OK')) throw new Error(`redis cluster: MIGRATE of slot ${slot} answered ${reply}`);
        }
      },
      finish: async () => {
        const third = [0, 1, 2].find((i) => i !== from && i !== to)!;
        for (const index of [to, from, third]) await cli(nodes[index]!.port, 'CLUSTER', 'SETSLOT', String(slot), 'NODE', toId);
        await until(`slot ${slot} on master ${to} for every master`, async () => {
          for (const master of nodes) {
            if (master.process !== undefined && (await slotMasters(master))[slot] !== to) return false;
          }
          return settled();
        }, 30_000);
      },
    };
  };

  return {
    /** The nodes' ports, in the order `kill` and `restart` number them (masters first). */
    ports: nodes.map((m) => m.port),
    slotMasters: () => slotMasters(),
    slotMove,
    /** The first node, to give a cluster client as its seed. */
    url: `redis://127.0.0.1:${p1}`,
    /** The hash slot of `key` (CLUSTER KEYSLOT). */
    keySlot: async (key: string): Promise<number> => Number((await cli(nodes.find((m) => m.process !== undefined)!.port, 'CLUSTER', 'KEYSLOT', key)).trim()),
    /** The keys master `index` holds that start with `prefix`. */
    keysOn: async (index: number, prefix: string): Promise<string[]> =>
      (await cli(nodes[index]!.port, '--scan', '--pattern', `${prefix}*`)).split('\n').filter((k) => k !== ''),
    /** How many connections are subscribed to each of `channels` (shard channels) on master `index`. */
    shardSubscribers: async (index: number, channels: string[]): Promise<number[]> => {
      const lines = (await cli(nodes[index]!.port, 'PUBSUB', 'SHARDNUMSUB', ...channels)).trim().split('\n');
      return channels.map((_, i) => Number(lines[2 * i + 1]));
    },
    /** How many times each master ran `command` (INFO commandstats; 0 for a master not running). */
    commandCalls: (command: string): Promise<number[]> =>
      Promise.all(
        nodes.map(async (master) => {
          if (master.process === undefined) return 0;
          const stats = await cli(master.port, 'INFO', 'commandstats');
          return Number(new RegExp(`cmdstat_${command}:calls=(\\d+)`).exec(stats)?.[1] ?? 0);
        }),
      ),
    /** Sends `args` to master `index` with redis-cli (CLIENT KILL, CONFIG...). */
    command: (index: number, ...args: string[]) => cli(nodes[index]!.port, ...args),
    /** Kills master `index` (SIGKILL: no goodbye to the cluster or its clients). */
    kill: (index: number) => stopNode(nodes[index]!),
    /** Starts master `index` again on its port, with its slots and no keys, and waits until the cluster is ok. */
    restart: async (index: number) => {
      await startNode(nodes[index]!);
      await until(`master ${index} back in the cluster`, () => settled(), 30_000);
    },
    /** The node that replicates node `index` now (CLUSTER NODES), or -1 for none. */
    replicaOf: async (index: number): Promise<number> => {
      const id = await nodeId(index);
      const table = await cli(nodes[index]!.port, 'CLUSTER', 'NODES');
      for (const line of table.trim().split('\n')) {
        const [, address, flags, masterId] = line.split(' ');
        if (masterId === id && flags!.includes('slave') && !flags!.includes('fail')) {
          return nodes.findIndex((m) => m.port === Number(address!.split('@')[0]!.split(':')[1]));
        }
      }
      return -1;
    },
    /** Waits until node `index` serves `slot`, as every running node says (a replica promoted). */
    servedBy: (slot: number, index: number) =>
      until(`slot ${slot} served by node ${index}`, async () => {
        for (const node of nodes) if (node.process !== undefined && (await slotMasters(node))[slot] !== index) return false;
        return settled();
      }, 30_000),
    /** Waits until the running masters agree the cluster is ok. */
    settled: () => until('cluster_state:ok on every running master', () => settled(), 30_000),
    stop,
  };
}
