import type { SharedStateCounting } from 'circuitry/store';
import { redisCounting } from '../../src/adapters/redis/redis-counting.js';
import type { ScriptReply, simRedis } from './sim-redis.js';

/**
 * Which rules the simulated count script applies: `'fixed'` is COUNT_SCRIPT as it is; each
 * other brings back a counting bug, so that fleet-simulation-teeth.test.ts can prove the fleet
 * simulation finds it by itself. `'count-carry-window'`: counts of a newer generation are added to the window of the older one
 * (a close does not start the fleet's window afresh).
 * `'count-no-guard'`: a replayed flush counts again.
 */
export type CountRules = 'fixed' | 'count-carry-window' | 'count-no-guard';

type Sim = ReturnType<typeof simRedis>;
type Slice = [number, number, number, number];
interface Window {
  g: number;
  b: Slice[];
}

/** Lua's tonumber over a script argument. */
const num = (s: string | undefined): number => Number(s);

/** cjson.decode of a window, as the script's windowOf takes it: anything else is no window. */
function windowOf(text: string | undefined): Window | undefined {
  if (text === undefined) return undefined;
  try {
    const w = JSON.parse(text) as { g?: unknown; b?: unknown };
    if (typeof w === 'object' && w !== null && typeof w.g === 'number' && typeof w.b === 'object' && w.b !== null) {
      return { g: w.g, b: Array.isArray(w.b) ? (w.b as Slice[]) : [] };
    }
  } catch {
    // Not JSON: no window, as for the script.
  }
  return undefined;
}

/**
 * COUNT_SCRIPT (src/adapters/redis/count-script.ts) restated line by line over the simulated
 * Redis's keys, taking KEYS and ARGV as the script does. test/redis/sim-differential.test.ts
 * runs it against the real script on a real redis-server.
 */
export function countScript(sim: Sim, now: () => number, keys: readonly string[], argv: readonly string[], rules: CountRules = 'fixed'): ScriptReply {
  const [keep, publish] = [num(argv[0]), argv[1]!];
  const [decidedAt, maxAge] = [num(argv[2]), num(argv[3])];
  const t = Math.floor(now());
  if (decidedAt > 0 && t - decidedAt > maxAge) return [t, 'late'];
  if (rules !== 'count-no-guard') {
    if (sim.live(keys[0]!) !== undefined) return [t, 'repeated'];
    sim.keys.set(keys[0]!, { type: 'string' });
    sim.expiry.set(keys[0]!, t + maxAge * 2 + 1000);
  }
  const [H, W] = [4, 14];
  const n = (keys.length - 1) / 2;
  const out: ScriptReply = [t, 'ok'];

  // One HMGET per hash of windows.
  const order: string[] = [];
  const members = new Map<string, number[]>();
  const stored = new Map<number, string | undefined>();
  const unusable = new Map<string, string>();
  const extended = new Map<string, number | undefined>();
  for (let i = 1; i <= n; i++) {
    const ck = keys[2 * i - 1]!;
    if (!members.has(ck)) members.set(ck, []), order.push(ck);
    members.get(ck)!.push(i);
  }
  for (const ck of order) {
    const value = sim.live(ck);
    if (value !== undefined && !(value instanceof Map)) {
      unusable.set(ck, `the key ${ck} holds a ${value.type}`);
      continue;
    }
    for (const i of members.get(ck)!) stored.set(i, value?.get(argv[H + (i - 1) * W]!));
    const ext = value?.get('');
    extended.set(ck, ext === undefined || Number.isNaN(Number(ext)) ? undefined : Number(ext));
  }

  const trip = (rk: string, period: number, openings: number, windowGen: number, channel: string): (string | number)[] => {
    const value = sim.live(rk);
    if (value !== undefined && !(value instanceof Map)) return ['foreign', `the key holds a ${value.type}`, 0, 0, 0];
    const h = value ?? new Map<string, string>();
    const field = (f: string, fallback: string) => h.get(f) ?? fallback;
    const lua = (s: string) => (/^\s*-?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?\s*$/i.test(s) ? Number(s) : undefined);
    const version = lua(field('v', '0'));
    if (version === undefined || version > 1) return ['foreign', `format version ${h.get('v') ?? 'nil'}`, 0, 0, 0];
    let state = h.get('s') ?? 'none';
    if (value === undefined) state = 'none';
    else if (state !== 'open' && state !== 'closed') return ['foreign', `state ${h.get('s') ?? 'nil'}`, 0, 0, 0];
    let g = lua(field('g', '0'));
    const [o, p, m] = [lua(field('o', '0')), lua(field('p', '0')), lua(field('n', '0'))];
    if (g === undefined || o === undefined || p === undefined || m === undefined) return ['foreign', 'a field is not a number', 0, 0, 0];
    if (state === 'open') return ['open', g, t - Math.min(o, t), p, m];
    if (state === 'closed' && g !== windowGen) return ['closed', g, 0, p, m];
    if (state === 'none') g = t;
    g += 1;
    const fields: [string, string | number][] = [['v', 1], ['s', 'open'], ['g', g], ['o', t], ['p', period], ['n', openings], ['l', ''], ['u', 0]];
    for (const [f, v] of fields) h.set(f, String(v));
    sim.keys.set(rk, h);
    sim.expiry.set(rk, t + period + keep);
    if (publish !== '') {
      const message = `${g}:${rk}`;
      sim.published.push([channel, message]);
      for (const listener of sim.subscribers) listener(channel, message);
    }
    return ['open', g, 0, period, openings];
  };

  const writes = new Map<string, [string, string][]>(order.map((ck) => [ck, []]));
  const deletes = new Map<string, string[]>(order.map((ck) => [ck, []]));
  for (let i = 1; i <= n; i++) {
    const [ck, rk, base] = [keys[2 * i - 1]!, keys[2 * i]!, H + (i - 1) * W];
    const a = (k: number) => argv[base + k - 1]!;
    const [name, gen] = [a(1), num(a(2))];
    const [calls, failures, slow] = [num(a(3)), num(a(4)), num(a(5))];
    const [kind, span, slices] = [a(6), num(a(7)), num(a(8))];
    const [failureRate, slowRate, minimum] = [num(a(9)), num(a(10)), num(a(11))];
    const [period, openings, channel] = [num(a(12)), num(a(13)), a(14)];
    let record: (string | number)[] | undefined;
    if (unusable.has(ck)) record = ['foreign', unusable.get(ck)!, 0, 0, 0];
    else {
      let w = windowOf(stored.get(i));
      if (w === undefined) w = { g: gen, b: [] };
      else if (gen > w.g) w = rules === 'count-carry-window' ? { g: gen, b: w.b } : { g: gen, b: [] };
      // Counts of a closed period the fleet has left are dropped.
      if (gen === w.g) {
        const b: Slice[] = [];
        const index = kind === 'time' ? Math.floor(t / (span / slices)) : Math.floor(t / 1000);
        for (const s of w.b) if (kind !== 'time' || s[0] > index - slices) b.push(s);
        const last = b.at(-1);
        if (last !== undefined && last[0] >= index) [last[1], last[2], last[3]] = [last[1] + calls, last[2] + failures, last[3] + slow];
        else b.push([index, calls, failures, slow]);
        let [total, fails, slows] = [0, 0, 0];
        for (const s of b) [total, fails, slows] = [total + s[1], fails + s[2], slows + s[3]];
        if (kind !== 'time') {
          while (b.length > 1 && total - b[0]![1] >= span) {
            [total, fails, slows] = [total - b[0]![1], fails - b[0]![2], slows - b[0]![3]];
            b.shift();
          }
          while (b.length > 64) {
            [b[1]![1], b[1]![2], b[1]![3]] = [b[1]![1] + b[0]![1], b[1]![2] + b[0]![2], b[1]![3] + b[0]![3]];
            b.shift();
          }
          if (total > span) {
            const share = (span - (total - b[0]![1])) / b[0]![1];
            [fails, slows] = [fails - b[0]![2] * (1 - share), slows - b[0]![3] * (1 - share)];
            total = span;
          }
        }
        w.b = b;
        if (total >= minimum && (fails / total >= failureRate || slows / total >= slowRate)) {
          record = trip(rk, period, openings, w.g, channel);
          if (record[0] !== 'foreign') deletes.get(ck)!.push(name);
        } else writes.get(ck)!.push([name, JSON.stringify(w)]);
      }
    }
    out.push(...(record ?? ['counted', 0, 0, 0, 0]));
  }
  for (const ck of order) {
    const w = writes.get(ck)!;
    if (w.length > 0) {
      const ext = extended.get(ck);
      const renew = ext === undefined || t - ext >= keep / 2 || t < ext;
      if (renew) w.push(['', String(t)]);
      const value = sim.live(ck);
      const h = value instanceof Map ? value : new Map<string, string>();
      for (const [f, v] of w) h.set(f, v);
      sim.keys.set(ck, h);
      if (renew) sim.expiry.set(ck, t + keep);
    }
    const d = deletes.get(ck)!;
    const h = sim.live(ck);
    if (d.length > 0 && h instanceof Map) {
      for (const f of d) h.delete(f);
      // Redis deletes a hash left with no field.
      if (h.size === 0) sim.keys.delete(ck), sim.expiry.delete(ck);
    }
  }
  return out;
}

/**
 * The counting capability of circuitry/redis over the simulated Redis: the adapter itself
 * (redisCounting), its EVALSHA answered by {@link countScript}, at once.
 */
export function simCounting(sim: Sim, now: () => number, options: { prefix?: string; keep?: number; channel?: string; rules?: CountRules } = {}): SharedStateCounting {
  const { prefix = '', keep = 86_400_000, channel = '', rules = 'fixed' } = options;
  const send = async (args: readonly string[]): Promise<unknown> => {
    const count = Number(args[2]);
    return countScript(sim, now, args.slice(3, 3 + count), args.slice(3 + count), rules);
  };
  return redisCounting(send, prefix, keep, () => (channel === '' ? ['', ''] : ['PUBLISH', channel]));
}
