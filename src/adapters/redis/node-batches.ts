/**
 * Reads in a Redis Cluster, batched per node. The store reads per part of the backend (a slot),
 * and breakers rarely share a slot, so its reads would be one script per breaker; here every read
 * asked for in one turn of the event loop is gathered, and each node gets one script per
 * {@link BATCH} keys. A batch that fails (a slot moved away, a node lost) is read again per slot,
 * each slot alone, so that a failure is the failure of the slots it concerns only.
 */
import type { SharedRecord } from 'circuitry/store';
import { keySlot } from './key-slot.js';

/** Reads the records of `keys`, all declared in one slot, or `declared` first and the others passed on. */
export type ReadKeys = (declared: readonly string[], passed: readonly string[]) => Promise<SharedRecord[]>;

/** Keys per script: one script runs at most this many HMGETs, so none blocks its node for long. */
export const BATCH = 200;

/** One read asked for: its keys, and where their records go. */
interface Asked {
  readonly records: (SharedRecord | undefined)[];
  left: number;
  failed: boolean;
  resolve(records: SharedRecord[]): void;
  reject(error: unknown): void;
}

/** One key of one read, placed in its slot and node. */
interface Wanted {
  readonly asked: Asked;
  readonly index: number;
  readonly key: string;
  readonly slot: number;
}

export function nodeBatches(readKeys: ReadKeys, nodeOfSlot: (slot: number) => string): (keys: readonly string[]) => Promise<SharedRecord[]> {
  let queued: Wanted[] = [];

  const fill = (wanted: readonly Wanted[], records: readonly SharedRecord[]): void => {
    wanted.forEach((w, i) => {
      const { asked } = w;
      if (asked.failed) return;
      asked.records[w.index] = records[i];
      if (--asked.left === 0) asked.resolve(asked.records as SharedRecord[]);
    });
  };
  const fail = (wanted: readonly Wanted[], error: unknown): void => {
    for (const { asked } of wanted) {
      if (asked.failed) continue;
      asked.failed = true;
      asked.reject(error);
    }
  };

  /** One slot's keys, all declared: the cluster checks them as it checks any one-slot command. */
  const readSlot = (wanted: readonly Wanted[]): void => {
    for (let i = 0; i < wanted.length; i += BATCH) {
      const chunk = wanted.slice(i, i + BATCH);
      readKeys(
        chunk.map((w) => w.key),
        [],
      ).then(
        (records) => fill(chunk, records),
        (error: unknown) => fail(chunk, error),
      );
    }
  };

  const readNode = (wanted: readonly Wanted[]): void => {
    for (let i = 0; i < wanted.length; i += BATCH) {
      const chunk = wanted.slice(i, i + BATCH);
      if (chunk.every((w) => w.slot === chunk[0]!.slot)) {
        readSlot(chunk);
        continue;
      }
      readKeys(
        [chunk[0]!.key],
        chunk.slice(1).map((w) => w.key),
      ).then(
        (records) => fill(chunk, records),
        () => {
          for (const slot of groupBy(chunk, (w) => String(w.slot)).values()) readSlot(slot);
        },
      );
    }
  };

  const flush = (): void => {
    const wanted = queued;
    queued = [];
    for (const onNode of groupBy(wanted, (w) => nodeOfSlot(w.slot)).values()) {
      // Sorted by slot, so that a batch cut at BATCH keys spans few slots.
      readNode(onNode.sort((a, b) => a.slot - b.slot));
    }
  };

  return (keys) =>
    new Promise<SharedRecord[]>((resolve, reject) => {
      if (keys.length === 0) return resolve([]);
      const asked: Asked = { records: [], left: keys.length, failed: false, resolve, reject };
      if (queued.length === 0) queueMicrotask(flush);
      keys.forEach((key, index) => queued.push({ asked, index, key, slot: keySlot(key) }));
    });
}

function groupBy<T>(items: readonly T[], keyOf: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const key = keyOf(item);
    const group = groups.get(key);
    if (group === undefined) groups.set(key, [item]);
    else group.push(item);
  }
  return groups;
}
