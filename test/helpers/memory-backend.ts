import type { CloseRequest, OpenRequest, SharedRecord, SharedStateBackend, TrialAnswer } from 'circuitry';

interface Row {
  state: 'closed' | 'open';
  generation: number;
  openedAt: number;
  period: number;
  openings: number;
  owner: string;
  leaseUntil: number;
}

/**
 * The shared-state rules of circuitry/redis's Lua script restated in memory, on a clock the test
 * drives: several stores over one of these are several processes sharing one Redis. `down` makes
 * every operation fail, `hang` makes every operation never answer, and `calls` counts operations.
 */
export function memoryBackend(now: () => number) {
  const rows = new Map<string, Row>();
  const control = { down: false, hang: false, late: false, calls: 0, rows };
  const reply = (row: Row | undefined): SharedRecord =>
    row === undefined
      ? { state: 'none', generation: now(), elapsed: 0, period: 0, openings: 0 }
      : { state: row.state, generation: row.generation, elapsed: row.state === 'open' ? now() - row.openedAt : 0, period: row.period, openings: row.openings };
  const step = <T>(work: () => T): Promise<T> => {
    control.calls += 1;
    if (control.hang) return new Promise(() => {});
    if (control.down) return Promise.reject(new Error('connection refused'));
    // Done, but the answer never arrives: the process cannot tell this from a failure.
    if (control.late) return (work(), new Promise(() => {}));
    return Promise.resolve(work());
  };
  const backend: SharedStateBackend = {
    read: (name) => step(() => reply(rows.get(name))),
    open: (name, r: OpenRequest) =>
      step(() => {
        // Redis refuses a fractional expiry: a backend gets whole milliseconds.
        for (const key of ['period', 'elapsed', 'openings'] as const) {
          if (!Number.isSafeInteger(r[key])) throw new Error(`ERR value is not an integer: ${key} ${r[key]}`);
        }
        const row = rows.get(name);
        const state = row?.state ?? 'none';
        // A record made afresh counts generations on from the clock, as the Lua script does.
        const generation = row?.generation ?? now();
        if (r.mode === 'force' || (r.mode === 'trip' && state !== 'open') || (r.mode === 'trial' && state === 'open' && r.generation === generation)) {
          const openings = r.mode === 'trial' ? Math.max(r.openings, (row?.openings ?? 0) + 1) : r.openings;
          rows.set(name, { state: 'open', generation: generation + 1, openedAt: now() - r.elapsed, period: r.period, openings, owner: '', leaseUntil: 0 });
        }
        return reply(rows.get(name));
      }),
    close: (name, r: CloseRequest) =>
      step(() => {
        const row = rows.get(name);
        if (r.mode === 'force' || (row?.state === 'open' && r.generation === row.generation)) {
          rows.set(name, { state: 'closed', generation: (row?.generation ?? now()) + 1, openedAt: 0, period: 0, openings: 0, owner: '', leaseUntil: 0 });
        }
        return reply(rows.get(name));
      }),
    trial: (name, owner, lease): Promise<TrialAnswer> =>
      step(() => {
        let row = rows.get(name);
        if (row?.state === 'closed') return { granted: false, wait: 0, record: reply(row) };
        if (!Number.isSafeInteger(lease)) throw new Error(`ERR value is not an integer: lease ${lease}`);
        if (row === undefined) {
          row = { state: 'open', generation: now() + 1, openedAt: now() - lease, period: lease, openings: 1, owner: '', leaseUntil: 0 };
          rows.set(name, row);
        }
        const left = row.openedAt + row.period - now();
        if (left > 0) return { granted: false, wait: left, record: reply(row) };
        if (row.owner !== '' && row.owner !== owner && row.leaseUntil > now()) return { granted: false, wait: row.leaseUntil - now(), record: reply(row) };
        row.owner = owner;
        row.leaseUntil = now() + lease;
        return { granted: true, wait: 0, record: reply(row) };
      }),
  };
  return { backend, control };
}
