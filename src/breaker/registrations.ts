/**
 * The data behind a `CircuitRegistry`: live breakers by name, held weakly, each with the place it
 * was made. It knows nothing of the breaker class, so a breaker can register itself without
 * importing the registry.
 */
export interface Registrations {
  /** Live entries by name, oldest first: several when live breakers share a name. */
  readonly byName: Map<string, Entry[]>;
  /**
   * Hears every entry join (`register`) and leave by hand or by replacement (`unregister`); drops
   * collected ones. `registry.on` wraps it to follow joins and leaves (registry-events.ts), so the
   * core carries no hook of its own for them.
   */
  cleanup: Membership;
}

/** What `Registrations.cleanup` is asked: a `FinalizationRegistry`, or a wrapper around one. */
export type Membership = Pick<FinalizationRegistry<Entry>, 'register' | 'unregister'>;

/** What a registry holds: anything with a name. */
export interface Named {
  readonly name: string;
}

/** How an entry joins: where it was made, and whether circuitry or the user chose its name. */
export interface EntryOrigin {
  /** `file:line:column` of the code that made it; read from the stack when not given. */
  readonly place?: string | undefined;
  /** Named after its function or `Class.method` by circuitry: a clash is no one's mistake. */
  readonly derived?: boolean;
}

/** One registration: the entry held weakly, with its name and origin. */
interface Entry {
  readonly ref: WeakRef<Named>;
  readonly name: string;
  readonly place: string | undefined;
  readonly derived: boolean;
}

export function createRegistrations(): Registrations {
  const byName = new Map<string, Entry[]>();
  const cleanup = new FinalizationRegistry<Entry>((entry) => drop(byName, entry));
  return { byName, cleanup };
}

function drop(byName: Map<string, Entry[]>, entry: Entry): void {
  const list = byName.get(entry.name);
  const at = list?.indexOf(entry) ?? -1;
  if (at < 0) return;
  list!.splice(at, 1);
  if (list!.length === 0) byName.delete(entry.name);
}

// One default per process, however many copies of circuitry are loaded (ESM and CommonJS side by
// side, or a module evaluated again): the slot lives on the global object under a registered
// symbol. The `v2` is the shape of `Registrations`: a copy of another shape keeps its own slot
// rather than misread this one.
const DEFAULT_SLOT = Symbol.for('circuitry.defaultRegistrations.v2');

/** The registrations of `defaultRegistry`, shared by every copy of circuitry in the process. */
export function defaultRegistrations(): Registrations {
  const global = globalThis as { [DEFAULT_SLOT]?: Registrations };
  return (global[DEFAULT_SLOT] ??= createRegistrations());
}

/** The newest live entry named `name`, or the one listed under the key `name`, if any. */
export function lookup(r: Registrations, name: string): Named | undefined {
  const list = r.byName.get(name);
  for (let i = (list?.length ?? 0) - 1; i >= 0; i--) {
    const entry = list![i]!.ref.deref();
    if (entry !== undefined) return entry;
  }
  return listed(r).find(([key]) => key === name)?.[1];
}

/**
 * Adds `entry` under its name. Another live entry of that name made at the same place is the
 * same code run again (a module re-evaluated by a reload, `vi.resetModules()`, a `?v=2` import),
 * so the newcomer replaces it. One made elsewhere is a second circuit: both stay listed, and
 * unless circuitry derived both names, a process warning says where each was made.
 */
export function add(r: Registrations, entry: Named, origin: EntryOrigin = {}): void {
  const { name } = entry;
  const list = r.byName.get(name) ?? [];
  if (list.some((e) => e.ref.deref() === entry)) return;
  const place = 'place' in origin ? origin.place : placeOfCaller();
  const derived = origin.derived === true;
  const elsewhere: Entry[] = [];
  for (const other of [...list]) {
    if (other.ref.deref() !== undefined && (place === undefined || other.place !== place)) {
      elsewhere.push(other);
      continue;
    }
    drop(r.byName, other);
    r.cleanup.unregister(other);
  }
  const mine: Entry = { ref: new WeakRef(entry), name, place, derived };
  list.push(mine);
  r.byName.set(name, list);
  r.cleanup.register(entry, mine, mine);
  const mistaken = derived ? [] : elsewhere.filter((e) => !e.derived);
  if (mistaken.length > 0) warnClash(name, [...mistaken.map((e) => e.place), place]);
}

/** Removes `entry`; true if it was there. */
export function remove(r: Registrations, entry: Named): boolean {
  const mine = r.byName.get(entry.name)?.find((e) => e.ref.deref() === entry);
  if (mine === undefined) return false;
  drop(r.byName, mine);
  r.cleanup.unregister(mine);
  return true;
}

/**
 * Every live entry with the key it is listed under: its name, or, while live entries share a
 * name, the name and the place each was made, `api (src/a.ts:3:14)`. A key depends only on
 * which entries are live and where they were made, never on which was made first, so metric
 * series keep their labels across restarts.
 */
export function listed(r: Registrations): [key: string, entry: Named][] {
  const out: [string, Named][] = [];
  for (const [name, list] of r.byName) {
    const alive = list.flatMap((e) => {
      const entry = e.ref.deref();
      return entry === undefined ? [] : [{ entry, place: e.place }];
    });
    if (alive.length === 1) {
      out.push([name, alive[0]!.entry]);
      continue;
    }
    const seen = new Map<string, number>();
    for (const { entry, place } of alive) {
      const base = place === undefined ? name : `${name} (${place})`;
      const n = (seen.get(base) ?? 0) + 1;
      seen.set(base, n);
      // Only places unknown to the runtime need a count, and only then does order matter.
      out.push([place === undefined || n > 1 ? `${base} #${n}` : base, entry]);
    }
  }
  return out;
}

/** Every live entry, in the order their names first registered. */
export function live(r: Registrations): Named[] {
  return listed(r).map(([, entry]) => entry);
}

function warnClash(name: string, places: (string | undefined)[]): void {
  const message = `two live circuits are named "${name}", made at ${places.map((p) => p ?? '(unknown)').join(' and at ')}: both stay listed; give each its own name, or pass registry: false to one`;
  // Like Node's MaxListenersExceededWarning: a mistake in how an app is put together, told once
  // where it happens, that must not fail the code that made the breaker.
  if (typeof process === 'object' && typeof process.emitWarning === 'function') {
    process.emitWarning(message, { type: 'CircuitryWarning', code: 'CIRCUITRY_NAME_CLASH' });
  } else {
    console.warn(`CircuitryWarning: ${message}`);
  }
}

/**
 * `file:line:column` of the nearest caller outside circuitry (and outside `node_modules` and
 * compilers' `__decorate` helpers, which stand between a decorator and its class), relative to the working directory, with a URL's
 * query dropped (a reload's `?v=2` or `?t=...` is the same place). Undefined where the runtime
 * gives no stack. Read once per registration: making a breaker is not a hot path, and a
 * formatted place, unlike a held `Error`, keeps no frame's `this` (the breaker) alive.
 */
export function placeOfCaller(): string | undefined {
  let stack: string | undefined;
  const limit = Error.stackTraceLimit;
  try {
    // Enough frames to climb out of circuitry: a decorator reaches here through about eight.
    if (typeof limit === 'number') Error.stackTraceLimit = Math.max(limit, 30);
    stack = new Error().stack;
  } catch {
    return undefined;
  } finally {
    if (typeof limit === 'number') Error.stackTraceLimit = limit;
  }
  let own: string | undefined;
  for (const line of stack?.split('\n') ?? []) {
    const at = /([^\s(@]+):(\d+):(\d+)\)?$/.exec(line.trim());
    if (at === null) continue;
    const file = at[1]!.replace(/\\/g, '/').replace(/[?#].*$/, '').replace(/^file:\/\//, '').replace(/^[a-z][a-z+.-]*:\/\/[^/]*/i, '');
    // The first frame is this function: circuitry is whatever shares its folder (src/ or dist/).
    own ??= ownFolder(file);
    if (file.startsWith(own) || file.includes('/node_modules/') || file.startsWith('node:') || !file.includes('/')) continue;
    // A compiler's decorator helper (esbuild's __decorateElement, tsc's __decorate) sits in the
    // user's file, above the class that is the place.
    if (/^at (?:async )?(?:\S+\.)?__\w+ /.test(line.trim())) continue;
    return `${relative(file)}:${at[2]}:${at[3]}`;
  }
  return undefined;
}

function ownFolder(file: string): string {
  const src = file.lastIndexOf('/src/');
  const dist = file.lastIndexOf('/dist/');
  // Bundled into one file with the app, circuitry cannot tell its frames from the app's by file.
  if (src < 0 && dist < 0) return file;
  return file.slice(0, Math.max(src < 0 ? 0 : src + 5, dist < 0 ? 0 : dist + 6));
}

function relative(file: string): string {
  const cwd = typeof process === 'object' && typeof process.cwd === 'function' ? process.cwd() : undefined;
  return cwd !== undefined && file.startsWith(`${cwd}/`) ? file.slice(cwd.length + 1) : file;
}
