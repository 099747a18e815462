/**
 * The data behind a `CircuitRegistry`: live breakers by name, held weakly. It knows nothing of
 * the breaker class, so a breaker can register itself without importing the registry.
 */
export interface Registrations {
  readonly byName: Map<string, WeakRef<Named>>;
  readonly cleanup: FinalizationRegistry<{ name: string; ref: WeakRef<Named> }>;
}

/** What a registry holds: anything with a name. */
export interface Named {
  readonly name: string;
}

export function createRegistrations(): Registrations {
  const byName = new Map<string, WeakRef<Named>>();
  const cleanup = new FinalizationRegistry<{ name: string; ref: WeakRef<Named> }>(({ name, ref }) => {
    if (byName.get(name) === ref) byName.delete(name);
  });
  return { byName, cleanup };
}

// One default per process, however many copies of circuitry are loaded (ESM and CommonJS side by
// side, or a module evaluated again): the slot lives on the global object under a registered symbol.
const DEFAULT_SLOT = Symbol.for('circuitry.defaultRegistrations');

/** The registrations of `defaultRegistry`, shared by every copy of circuitry in the process. */
export function defaultRegistrations(): Registrations {
  const global = globalThis as { [DEFAULT_SLOT]?: Registrations };
  return (global[DEFAULT_SLOT] ??= createRegistrations());
}

/** The live entry under `name`, if any. */
export function lookup(r: Registrations, name: string): Named | undefined {
  return r.byName.get(name)?.deref();
}

/**
 * Adds `entry` under its name.
 *
 * @throws TypeError when another live entry has that name already.
 */
export function add(r: Registrations, entry: Named): void {
  const current = lookup(r, entry.name);
  if (current === entry) return;
  if (current !== undefined) {
    throw new TypeError(
      `a circuit named "${entry.name}" is already registered: give this one another name, pass registry: false, or unregister the other first`,
    );
  }
  const ref = new WeakRef(entry);
  r.byName.set(entry.name, ref);
  r.cleanup.register(entry, { name: entry.name, ref }, ref);
}

/** Removes `entry`; true if it was there. */
export function remove(r: Registrations, entry: Named): boolean {
  const ref = r.byName.get(entry.name);
  if (ref === undefined || ref.deref() !== entry) return false;
  r.byName.delete(entry.name);
  r.cleanup.unregister(ref);
  return true;
}

/** Every live entry, in the order they registered. */
export function live(r: Registrations): Named[] {
  const out: Named[] = [];
  for (const ref of r.byName.values()) {
    const entry = ref.deref();
    if (entry !== undefined) out.push(entry);
  }
  return out;
}
