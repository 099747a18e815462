import type { ChangeAnswer, CloseRequest, OpenRequest, RequestStamp, SharedRecord, SharedStateBackend, TrialAnswer } from 'circuitry/store';

/** A key as Redis holds it: a hash of strings, or a value of another type (foreign). */
export type RawValue = Map<string, string> | { type: string };

/** What the Lua script replies: [state, gen, elapsed, period, openings, granted, wait, now, problem or 'late'?]. */
export type ScriptReply = (string | number)[];

/**
 * The rules of circuitry/redis's Lua script (src/adapters/redis/record-script.ts) restated line by line
 * over raw string hashes, on a clock the test drives. The differential test runs the same
 * operations against this and a real redis-server and asserts identical replies and records.
 */
/**
 * Which rules the simulated Redis applies: `'fixed'` is the Lua script as it is; each `'old-N'`
 * brings back the behaviour issue 15 item N reported, so a test can prove the fleet simulation
 * finds it by itself. `'old-2'` is a client rule, not Redis's: the simulation applies it.
 * `'old-late'` brings back a refusal as late that looked like any other answer (issue 15, the
 * change lost after a clock step).
 */
export type Rules = 'fixed' | 'old-1' | 'old-2' | 'old-4' | 'old-late';

export function simRedis(now: () => number, rules: Rules = 'fixed') {
  const keys = new Map<string, RawValue>();
  const expiry = new Map<string, number>();
  const num = (s: string | undefined, fallback: string) => {
    const v = s ?? fallback;
    // Lua's tonumber: a decimal number, or nil.
    return /^\s*-?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?\s*$/i.test(v) ? Number(v) : undefined;
  };
  const live = (key: string) => {
    const until = expiry.get(key);
    if (until !== undefined && until <= now()) {
      keys.delete(key);
      expiry.delete(key);
    }
    return keys.get(key);
  };

  /** What the script published, as [channel, message], in order. */
  const published: [string, string][] = [];
  /** Listeners for what the script publishes (the simulation's subscribers). */
  const subscribers = new Set<(channel: string, message: string) => void>();

  /** `channel`: where an accepted open or close is announced ('' for nowhere), as the script's ARGV[4]. */
  function run(key: string, op: string, keep: number, args: (string | number)[], channel = ''): ScriptReply {
    const a = args.map(String);
    const t = Math.floor(now());
    const value = live(key);
    const kind = value === undefined ? 'none' : value instanceof Map ? 'hash' : value.type;
    const foreign = (why: string): ScriptReply => ['foreign', 0, 0, 0, 0, 0, 0, t, why];
    if (kind !== 'none' && kind !== 'hash') return foreign(`the key holds a ${kind}`);
    const h = value instanceof Map ? value : new Map<string, string>();
    const version = num(h.get('v'), '0');
    if (version === undefined || version > 1) return foreign(`format version ${h.get('v') ?? 'nil'}`);
    let state = h.get('s') ?? 'none';
    if (kind === 'none') state = 'none';
    else if (state !== 'open' && state !== 'closed') return foreign(`state ${h.get('s') ?? 'nil'}`);
    let gen = num(h.get('g'), '0');
    let openedAt = num(h.get('o'), '0');
    let period = num(h.get('p'), '0');
    let openings = num(h.get('n'), '0');
    let owner = h.get('l') ?? '';
    let leaseUntil = num(h.get('u'), '0');
    if (gen === undefined || openedAt === undefined || period === undefined || openings === undefined || leaseUntil === undefined) {
      return foreign('a field is not a number');
    }
    if (state === 'none') gen = t;
    // old-4: times ahead of the clock were kept, and waited for.
    if (rules !== 'old-4' && state === 'open' && (openedAt > t || leaseUntil > t + period)) {
      openedAt = Math.min(openedAt, t);
      leaseUntil = Math.min(leaseUntil, t + period);
      h.set('o', String(openedAt));
      h.set('u', String(leaseUntil));
    }
    const reply = (granted = 0, wait = 0): ScriptReply => [state, gen!, state === 'open' ? t - openedAt! : 0, period!, openings!, granted, wait, t];
    const save = () => {
      const fields: [string, number | string][] = [['v', 1], ['s', state], ['g', gen!], ['o', openedAt!], ['p', period!], ['n', openings!], ['l', owner], ['u', leaseUntil!]];
      for (const [f, v] of fields) h.set(f, String(v));
      keys.set(key, h);
      const ends = state === 'open' ? Math.max(openedAt! + period!, leaseUntil!) : t;
      expiry.set(key, t + Math.ceil(Math.max(ends - t, 0) + keep));
    };
    const announce = () => {
      if (channel === '') return;
      const message = `${gen}:${key}`;
      published.push([channel, message]);
      for (const listener of subscribers) listener(channel, message);
    };
    // old-1: a change delivered late was applied all the same, timed by Redis's clock on arrival.
    const stale = (decidedAt: number | undefined, maxAge: number | undefined) =>
      rules !== 'old-1' && decidedAt !== undefined && decidedAt > 0 && maxAge !== undefined && t - decidedAt > maxAge;
    // Refused as late: the record as it is, marked (old-late: not marked, so taken for a change kept).
    const late = (): ScriptReply => (rules === 'old-late' ? reply() : [...reply(), 'late']);

    if (op === 'read') return reply();
    if (op === 'open') {
      const [mode, g, p, elapsed, n0, d, m] = [a[0], num(a[1], ''), num(a[2], ''), num(a[3], ''), num(a[4], ''), num(a[5], ''), num(a[6], '')];
      let n = n0!;
      if (stale(d, m)) return late();
      if (mode === 'force' || (mode === 'trip' && state !== 'open') || (mode === 'trial' && state === 'open' && g === gen)) {
        if (mode === 'trial') n = Math.max(n, openings + 1);
        const from = rules !== 'old-1' && d !== undefined && d > 0 ? Math.min(d, t) : t;
        [state, gen, openedAt, period, openings, owner, leaseUntil] = ['open', gen + 1, from - elapsed!, p!, n, '', 0];
        save();
        announce();
      }
      return reply();
    }
    if (op === 'close') {
      const [mode, g] = [a[0], num(a[1], '')];
      if (stale(num(a[2], ''), num(a[3], ''))) return late();
      if (mode === 'force' || (state === 'open' && g === gen)) {
        [state, gen, openedAt, period, openings, owner, leaseUntil] = ['closed', gen + 1, 0, 0, 0, '', 0];
        save();
        announce();
      }
      return reply();
    }
    if (op === 'trial') {
      const [who, lease] = [a[0]!, num(a[1], '')!];
      if (stale(num(a[2], ''), num(a[3], ''))) return late();
      if (state === 'closed') return reply(0, 0);
      if (state === 'none') [state, gen, openedAt, period, openings] = ['open', gen + 1, t - lease, lease, 1];
      const left = openedAt + period - t;
      if (left > 0) return reply(0, left);
      if (owner !== '' && owner !== who && leaseUntil > t) return reply(0, Math.min(leaseUntil - t, lease));
      [owner, leaseUntil] = [who, t + lease];
      save();
      return reply(1, 0);
    }
    throw new Error(`circuitry: unknown operation ${op}`);
  }

  /** READ_MANY_SCRIPT: Redis's time, then five elements per key; writes nothing. */
  function readMany(names: readonly string[]): ScriptReply {
    const t = Math.floor(now());
    const out: ScriptReply = [t];
    for (const key of names) {
      const value = live(key);
      if (value !== undefined && !(value instanceof Map)) {
        out.push('foreign', `the key holds a ${value.type}`, 0, 0, 0);
        continue;
      }
      const h = value ?? new Map<string, string>();
      const version = num(h.get('v'), '0');
      const [gen, openedAt, period, openings, leaseUntil] = ['g', 'o', 'p', 'n', 'u'].map((f) => num(h.get(f), '0'));
      const any = ['s', 'g', 'o', 'p', 'n', 'v', 'l', 'u'].some((f) => h.has(f));
      const s = h.get('s');
      if (version === undefined || version > 1) out.push('foreign', `format version ${h.get('v') ?? 'nil'}`, 0, 0, 0);
      else if (!any) out.push('none', t, 0, 0, 0);
      else if (s !== 'open' && s !== 'closed') out.push('foreign', `state ${s ?? 'false'}`, 0, 0, 0);
      else if ([gen, openedAt, period, openings, leaseUntil].includes(undefined)) out.push('foreign', 'a field is not a number', 0, 0, 0);
      else if (s === 'open') out.push('open', gen!, t - Math.min(openedAt!, t), period!, openings!);
      else out.push('closed', gen!, 0, period!, openings!);
    }
    return out;
  }

  return { keys, expiry, run, readMany, live, published, subscribers };
}

/** The batched read's reply as circuitry/redis's backend turns it into records. */
export function recordsOf(r: ScriptReply, count: number): SharedRecord[] {
  const at = Number(r[0]);
  return Array.from({ length: count }, (_, i) => {
    const [state, a, b, c, d] = r.slice(1 + 5 * i, 6 + 5 * i);
    if (state === 'foreign') return { state: 'foreign', generation: 0, elapsed: 0, openPeriod: 0, openings: 0, at, problem: String(a) };
    return { state: state as 'none' | 'closed' | 'open', generation: Number(a), elapsed: Number(b), openPeriod: Number(c), openings: Number(d), at };
  });
}

/** The reply as circuitry/redis's backend turns it into a record. */
export function recordOf(r: ScriptReply): ChangeAnswer {
  if (r[0] === 'foreign') return { state: 'foreign', generation: 0, elapsed: 0, openPeriod: 0, openings: 0, at: Number(r[7]), problem: String(r[8]) };
  const record: SharedRecord = { state: r[0] as 'none' | 'closed' | 'open', generation: Number(r[1]), elapsed: Number(r[2]), openPeriod: Number(r[3]), openings: Number(r[4]), at: Number(r[7]) };
  return r[8] === 'late' ? { ...record, late: true } : record;
}

/** The arguments circuitry/redis sends for each operation, after the operation's name. */
export const scriptArgs = {
  open: (r: OpenRequest) => [r.mode, r.generation, r.openPeriod, r.elapsed, r.openings, r.decidedAt, r.maxAge],
  close: (r: CloseRequest) => [r.mode, r.generation, r.decidedAt, r.maxAge],
  trial: (owner: string, lease: number, s: RequestStamp) => [owner, Math.ceil(lease), s.decidedAt, s.maxAge],
};

/** A backend over `sim`, answering at once: the network in between is the caller's to add. */
export function simBackend(sim: ReturnType<typeof simRedis>, keep = 86_400_000, channel = ''): SharedStateBackend {
  return {
    read: async (name) => recordOf(sim.run(name, 'read', keep, [])),
    open: async (name, r) => recordOf(sim.run(name, 'open', keep, scriptArgs.open(r), channel)),
    close: async (name, r) => recordOf(sim.run(name, 'close', keep, scriptArgs.close(r), channel)),
    trial: async (name, owner, lease, s): Promise<TrialAnswer> => {
      const reply = sim.run(name, 'trial', keep, scriptArgs.trial(owner, lease, s));
      const record = recordOf(reply);
      return { granted: record.state !== 'foreign' && reply[5] === 1, wait: Number(reply[6]), record };
    },
  };
}
