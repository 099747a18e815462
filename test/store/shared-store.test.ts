import { CircuitBreaker, circuit, defaultRegistry } from 'circuitry';
import { sharedStore, type TrialAnswer } from 'circuitry/store';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { collected } from '../helpers/gc.js';
import { memoryBackend } from '../helpers/memory-backend.js';
import { fleet, settle } from './fleet.js';

let current: ReturnType<typeof fleet> | undefined;
const make = (...args: Parameters<typeof fleet>) => (current = fleet(...args));
afterEach(() => {
  current?.close();
  current = undefined;
  vi.useRealTimers();
});

async function tripProcess0(f: ReturnType<typeof fleet>) {
  const [p0] = f.processes;
  p0!.dependency('fail');
  for (let i = 0; i < 3; i++) await p0!.attempt();
  await settle();
}

/** The fleet opens, then the store goes away for longer than the open period. */
async function openThenLoseStore(f: ReturnType<typeof fleet>) {
  await tripProcess0(f);
  await f.syncAll();
  f.control.down = true;
  await f.syncAll();
  f.advance(1000);
}

describe('sharedStore: one circuit across processes', () => {
  it('makes no store round trip on the closed path', async () => {
    const f = make(3);
    await settle();
    const before = f.control.calls;
    for (let i = 0; i < 1000; i++) await f.processes[0]!.attempt();
    await f.processes[1]!.dependency('fail');
    await f.processes[1]!.attempt();
    expect(f.control.calls).toBe(before);
  });

  it('an open decided by one process is taken in by every process at its next sync', async () => {
    const f = make(3);
    await tripProcess0(f);
    expect(f.processes[0]!.breaker.state).toBe('open');
    expect(f.processes[1]!.breaker.state).toBe('closed');
    await f.syncAll();
    for (const p of f.processes) expect(p.breaker.state).toBe('open');
    // They stop calling the dependency.
    expect(await f.processes[1]!.attempt('b')).toBe('rejected');
    expect(await f.processes[2]!.attempt('c')).toBe('rejected');
    expect(f.processes[1]!.ran).toEqual([]);
    expect(f.processes[2]!.ran).toEqual([]);
    expect(f.processes[1]!.breaker.retryAfter).toBe(1000);
  });

  it('admits exactly one trial across the fleet, and its success closes every process', async () => {
    const f = make(3);
    await tripProcess0(f);
    await f.syncAll();
    f.processes.forEach((p) => p.dependency('ok'));
    f.advance(1000);
    // Each process asks the fleet for the lease; its call waits for the answer, and one wins.
    const first = await Promise.all(f.processes.map((p, i) => p.attempt(`trial-${i}`)));
    expect(first.filter((r) => r !== 'rejected')).toHaveLength(1);
    expect(f.processes.flatMap((p) => p.ran).filter((tag) => tag.startsWith('trial'))).toHaveLength(1);
    await settle();
    await f.syncAll();
    for (const p of f.processes) expect(p.breaker.state).toBe('closed');
    expect(await Promise.all(f.processes.map((p) => p.attempt('after')))).toEqual(['after', 'after', 'after']);
  });

  it('a call with a fallback waits for the lease answer too, and runs as the trial', async () => {
    const f = make(2);
    await tripProcess0(f);
    await f.syncAll();
    f.advance(1000);
    const served: string[] = [];
    const withFallback = circuit(async (tag: string) => tag, {
      breaker: f.processes[1]!.breaker,
      fallback: (error) => (served.push((error as Error).name), 'fallback'),
    });
    expect(await withFallback('trial')).toBe('trial');
    expect(served).toEqual([]);
    expect(f.processes[1]!.breaker.state).toBe('closed');
  });

  it('a failed trial opens every process again, with the openings counted fleet-wide', async () => {
    const f = make(2, { recoveryTimeout: (n) => 1000 * 2 ** (n - 1) });
    await tripProcess0(f);
    await f.syncAll();
    f.advance(1000);
    const [, p1] = f.processes;
    p1!.dependency('fail');
    expect(await p1!.attempt('trial')).toBe('dependency failed');
    await settle();
    await f.syncAll();
    for (const p of f.processes) {
      expect(p.breaker.state).toBe('open');
      expect(p.breaker.retryAfter).toBe(2000);
    }
    expect(f.control.rows.get('dep')!.openings).toBe(2);
  });

  it('a prober that never comes back loses the lease after one open period', async () => {
    const f = make(2);
    await tripProcess0(f);
    await f.syncAll();
    f.advance(1000);
    const [p0, p1] = f.processes;
    // p0 gets the lease, and its trial never ends; p1 is refused for as long as the lease runs.
    p0!.dependency('hang');
    void p0!.attempt('hung-trial');
    await settle();
    expect(p0!.ran.at(-1)).toBe('hung-trial');
    expect(await p1!.attempt()).toBe('rejected');
    expect(p1!.breaker.retryAfter).toBeGreaterThan(0);
    f.advance(1000);
    p1!.dependency('ok');
    await p1!.attempt();
    await settle();
    expect(await p1!.attempt('probe')).toBe('probe');
    expect(p1!.breaker.state).toBe('closed');
    expect(p0!.ran).toEqual(['call', 'call', 'call', 'hung-trial']);
  });

  it('a process clock running ahead neither shortens the open period nor earns an early trial', async () => {
    const f = make(2, {}, [0, 10_000]);
    await tripProcess0(f);
    await f.syncAll();
    const [, fast] = f.processes;
    expect(fast!.breaker.retryAfter).toBe(1000);
    f.advance(999);
    expect(fast!.breaker.state).toBe('open');
    expect(await fast!.attempt()).toBe('rejected');
    f.advance(1);
    expect(fast!.breaker.state).toBe('half-open');
  });

  it('a close or open by hand in one process is kept for the whole fleet', async () => {
    const f = make(3);
    await tripProcess0(f);
    await f.syncAll();
    f.processes[2]!.breaker.close();
    await settle();
    await f.syncAll();
    for (const p of f.processes) expect(p.breaker.state).toBe('closed');
    f.processes[1]!.breaker.open();
    await settle();
    await f.syncAll();
    for (const p of f.processes) expect(p.breaker.state).toBe('open');
  });

  it('an isolated or disabled process keeps its own state whatever the fleet decides', async () => {
    const f = make(3);
    f.processes[1]!.breaker.isolate();
    f.processes[2]!.breaker.disable();
    await tripProcess0(f);
    await f.syncAll();
    expect(f.processes[1]!.breaker.state).toBe('isolated');
    expect(f.processes[2]!.breaker.state).toBe('disabled');
  });

  it('takes in a fleet that opened before this process started', async () => {
    const f = make(1);
    await tripProcess0(f);
    const late = new CircuitBreaker({ name: 'dep', registry: false, store: f.processes[0]!.store, clock: { now: () => 0 } });
    await settle();
    expect(late.state).toBe('open');
    expect(late.retryAfter).toBe(1000);
  });
});

describe('sharedStore: when the store fails', () => {
  it('calls never fail because of it: each process decides alone, says so once, and merges back when it returns', async () => {
    const f = make(3);
    const downs: unknown[] = [];
    const ups: number[] = [];
    f.processes[0]!.breaker.on('storeDown', ({ operation }) => downs.push(operation));
    f.processes[0]!.breaker.on('storeUp', ({ downFor }) => ups.push(downFor));
    f.control.down = true;
    await tripProcess0(f);
    await f.syncAll();
    await f.syncAll();
    expect(f.processes[0]!.breaker.state).toBe('open');
    expect(f.processes[1]!.breaker.state).toBe('closed');
    expect(await f.processes[1]!.attempt('still-served')).toBe('still-served');
    expect(downs).toEqual(['open']);
    expect(f.reports.filter((r) => r.process === 0).map((r) => r.source)).toEqual(['store']);
    f.advance(200);
    f.control.down = false;
    await f.syncAll();
    await settle();
    expect(ups).toEqual([200]);
    // The open that could not be published goes out now, and the others take it in.
    await f.syncAll();
    for (const p of f.processes) expect(p.breaker.state).toBe('open');
    expect(f.processes[2]!.breaker.retryAfter).toBe(800);
  });

  it('while the store is away the open period ends in each process, which runs its own trials', async () => {
    const f = make(2);
    await openThenLoseStore(f);
    f.processes.forEach((p) => p.dependency('ok'));
    expect(await Promise.all(f.processes.map((p) => p.attempt('local-trial')))).toEqual(['local-trial', 'local-trial']);
    for (const p of f.processes) expect(p.breaker.state).toBe('closed');
  });

  it('a store that never answers holds no call: past the timeout the process decides alone', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] });
    const f = make(2);
    await tripProcess0(f);
    await f.syncAll();
    f.advance(1000);
    f.control.hang = true;
    const [p0] = f.processes;
    p0!.dependency('ok');
    // The call waits for the lease answer no longer than the store's timeout, then runs alone.
    const asking = p0!.attempt('asks');
    await vi.advanceTimersByTimeAsync(200);
    expect(await asking).toBe('asks');
    expect(p0!.store.connected).toBe(false);
    p0!.breaker.open();
    await settle();
    f.advance(1000);
    expect(await p0!.attempt('local')).toBe('local');
    // The close it publishes waits at most the timeout too; then only the two sync intervals remain.
    expect(p0!.breaker.state).toBe('closed');
    vi.advanceTimersByTime(200);
    expect(vi.getTimerCount()).toBe(2);
    f.close();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('a record the store lost (a restart without persistence) is put back from what the processes know', async () => {
    const f = make(2);
    await tripProcess0(f);
    await f.syncAll();
    f.control.rows.clear();
    f.advance(300);
    await f.syncAll();
    await settle();
    const row = f.control.rows.get('dep');
    expect(row?.state).toBe('open');
    expect(row!.openedAt + row!.openPeriod).toBe(1_000_000 + 1000);
    await f.syncAll();
    for (const p of f.processes) expect(p.breaker.retryAfter).toBe(700);
  });
});

describe('sharedStore: states that must converge', () => {
  it('a process released from isolation takes in the close the fleet decided meanwhile', async () => {
    const f = make(2);
    await tripProcess0(f);
    await f.syncAll();
    const release = f.processes[1]!.breaker.isolate();
    f.processes[0]!.breaker.close();
    await f.syncAll();
    release();
    expect(f.processes[1]!.breaker.state).toBe('half-open');
    await f.syncAll();
    expect(f.processes[1]!.breaker.state).toBe('closed');
    expect(await f.processes[1]!.attempt('served')).toBe('served');
  });

  it('a process enabled again takes in the open it had already seen before it was disabled', async () => {
    const f = make(2);
    await tripProcess0(f);
    await f.syncAll();
    const [, p1] = f.processes;
    p1!.breaker.disable();
    p1!.breaker.enable();
    expect(p1!.breaker.state).toBe('closed');
    await f.syncAll();
    expect(p1!.breaker.state).toBe('open');
    expect(await p1!.attempt()).toBe('rejected');
  });

  it('a trial verdict made while the store was away is dropped when the fleet moved on, and the fleet is taken in', async () => {
    const f = make(2);
    await openThenLoseStore(f);
    const [p0, p1] = f.processes;
    // Alone, p0 runs a trial, which fails: open again, as a trial verdict.
    await p0!.attempt();
    expect(p0!.breaker.state).toBe('open');
    f.control.down = false;
    // Meanwhile the fleet closed, by p1's hand.
    p1!.breaker.close();
    await settle();
    await f.syncAll();
    await f.syncAll();
    expect(p0!.breaker.state).toBe('closed');
    p0!.dependency('ok');
    expect(await p0!.attempt('served')).toBe('served');
  });

  it('a change the store made but answered too late is not sent again', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] });
    const f = make(2);
    await settle();
    f.control.late = true;
    const opening = tripProcess0(f);
    await vi.advanceTimersByTimeAsync(200);
    await opening;
    f.control.late = false;
    const [p0, p1] = f.processes;
    // The fleet takes in the open, then p1 closes it by hand.
    await f.syncAll();
    p1!.breaker.close();
    await f.syncAll();
    const generation = f.control.rows.get('dep')!.generation;
    await f.syncAll();
    expect(f.control.rows.get('dep')).toMatchObject({ state: 'closed', generation });
    expect(p0!.breaker.state).toBe('closed');
  });

  it('a request lost for good does not stop the store probing: the probe has a slot of its own (seed 548)', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] });
    const f = make(1);
    await settle();
    const [p0] = f.processes;
    // The next read is lost: no answer and no error, ever.
    let lost = false;
    f.control.intercept = (op) => (op === 'read' && !lost ? ((lost = true), new Promise(() => {})) : undefined);
    void p0!.store.sync();
    await vi.advanceTimersByTimeAsync(200);
    expect(p0!.store.connected).toBe(false);
    // The store probes, is answered, and is back; before, the probe waited for the lost read's slot forever.
    await p0!.store.sync();
    expect(p0!.store.connected).toBe(true);
  });

  it('a probe lost for good does not silence the store: once given up on and waited for again, another replaces it (seed 9488)', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] });
    const f = make(1);
    await settle();
    const [p0] = f.processes;
    // Every read is lost for good (no answer, no error) until the network heals.
    let lose = true;
    const lost: string[] = [];
    f.control.intercept = (op) => (op === 'read' && lose ? (lost.push(op), new Promise(() => {})) : undefined);
    void p0!.store.sync();
    await vi.advanceTimersByTimeAsync(200);
    expect(p0!.store.connected).toBe(false);
    // The store's one probe goes, and is lost too.
    void p0!.store.sync();
    await vi.advanceTimersByTimeAsync(200);
    expect(lost).toHaveLength(2);
    lose = false;
    // Given up on, it is not replaced at once: a backend that hangs would queue one probe per sync.
    void p0!.store.sync();
    await vi.advanceTimersByTimeAsync(100);
    expect(p0!.store.connected).toBe(false);
    // Once it has waited a timeout more, a new probe goes, is answered, and the store is back.
    await vi.advanceTimersByTimeAsync(100);
    void p0!.store.sync();
    await vi.advanceTimersByTimeAsync(0);
    expect(p0!.store.connected).toBe(true);
  });

  it('a backend that hangs gets a new probe only after twice the wait before: about log2(hang / timeout) probes queued', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] });
    const f = make(1);
    await settle();
    const [p0] = f.processes;
    f.control.hang = true;
    const before = f.control.calls;
    // A sync every 50 ms through a hang of 200 timeouts (40 s).
    for (let t = 0; t < 40_000; t += 50) {
      void p0!.store.sync();
      await vi.advanceTimersByTimeAsync(50);
    }
    // The read that found the hang, then probes at 1, 2, 4, ... timeouts apart: 9 in all, not 800.
    expect(f.control.calls - before).toBeLessThanOrEqual(10);
    expect(f.control.calls - before).toBeGreaterThanOrEqual(7);
  });

  it('a read answered after its process\'s close, with the record as it was before it, does not open the process again (seed 3586)', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] });
    const f = make(2);
    await tripProcess0(f);
    await f.syncAll();
    f.advance(1000);
    const [p0] = f.processes;
    // The next read of p0 is answered by the backend at once, but its answer arrives only when released.
    let release: (() => void) | undefined;
    f.control.intercept = (op, work) => {
      if (op !== 'read' || release !== undefined) return undefined;
      const answer = work();
      return new Promise((resolve) => (release = () => void answer.then(resolve)));
    };
    void p0!.store.sync();
    await settle();
    expect(release).toBeDefined();
    // Meanwhile p0 takes the lease, its trial succeeds, and its close is taken and answered.
    p0!.dependency('ok');
    expect(await p0!.attempt('trial')).toBe('trial');
    await settle();
    expect(f.control.rows.get('dep')!.state).toBe('closed');
    expect(p0!.breaker.state).toBe('closed');
    // The read, answered before the close, arrives after it: history, not a reason to open.
    release!();
    await settle();
    expect(p0!.breaker.state).toBe('closed');
    expect(await p0!.attempt('after')).toBe('after');
  });

  it('a trip after a trial whose close never landed goes in as that trial\'s verdict, so no second trial runs under the same open (seeds 18384, 18976)', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] });
    const f = make(2);
    await tripProcess0(f);
    await f.syncAll();
    f.advance(1000);
    const [p0, p1] = f.processes;
    const trialOpen = f.control.rows.get('dep')!.generation;
    // Every lease granted, by the generation it was granted under; p0's close is lost.
    const grants: number[] = [];
    let loseCloses = true;
    f.control.intercept = (op, work) => {
      if (op === 'close' && loseCloses) return new Promise(() => {});
      if (op === 'trial') return work().then((answer) => ((answer as TrialAnswer).granted && grants.push((answer as TrialAnswer).record.generation), answer));
      return undefined;
    };
    // p0's trial succeeds, and its close is lost: the store is away for p0.
    p0!.dependency('ok');
    expect(await p0!.attempt('trial')).toBe('trial');
    await vi.advanceTimersByTimeAsync(200);
    expect(p0!.store.connected).toBe(false);
    loseCloses = false;
    // Deciding alone, p0 sees the dependency fail again and opens.
    p0!.dependency('fail');
    for (let i = 0; i < 3; i++) await p0!.attempt();
    expect(p0!.breaker.state).toBe('open');
    // Back: the record is still the open p0 ran its trial of. The open goes in as that trial's verdict.
    void p0!.store.sync();
    await vi.advanceTimersByTimeAsync(0);
    await p0!.store.sync();
    expect(p0!.store.connected).toBe(true);
    expect(f.control.rows.get('dep')).toMatchObject({ state: 'open', generation: trialOpen + 1, openings: 2 });
    // Once p0's lease and the new open are over, p1's trial is of the new open, not a second of the old.
    f.advance(1000);
    p1!.dependency('ok');
    await p1!.store.sync();
    await p1!.attempt();
    expect(grants).toEqual([trialOpen, trialOpen + 1]);
  });

  it('a failed trial whose open the store has not taken is published before the lease is asked for again (seed 548)', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] });
    const f = make(2);
    await tripProcess0(f);
    await f.syncAll();
    f.advance(1000);
    const [p0] = f.processes;
    const leases: number[] = [];
    let release: (() => void) | undefined;
    let hangReads = false;
    f.control.intercept = (op, work) => {
      if (op === 'trial') return work().then((answer) => ((answer as TrialAnswer).granted && leases.push((answer as TrialAnswer).record.generation), answer));
      if (op === 'read' && hangReads) return new Promise(() => {});
      // The open of the failed trial reaches the store only after p0 gave up on it: refused as stale.
      if (op === 'open' && release === undefined) return new Promise((resolve) => (release = () => void work().then(resolve)));
      return undefined;
    };
    await p0!.attempt();
    expect(p0!.breaker.state).toBe('open');
    await vi.advanceTimersByTimeAsync(200);
    f.advance(1000);
    // Its late answer brings the store back, but the reads that would publish the open again hang.
    hangReads = true;
    release!();
    await settle();
    expect(p0!.store.connected).toBe(true);
    p0!.dependency('ok');
    for (let i = 0; i < 3 && p0!.breaker.state !== 'closed'; i++) {
      await p0!.attempt();
      await settle();
    }
    expect(p0!.breaker.state).toBe('closed');
    // One trial per open: the second lease is under the generation of the failed trial's open.
    expect(leases).toHaveLength(2);
    expect(leases[1]).toBeGreaterThan(leases[0]!);
  });

  it('a refused process whose clock steps back 60 s asks for the lease again within a lease length, not 60 s later', async () => {
    const skew = [0, 0];
    const f = make(2, {}, skew);
    await tripProcess0(f);
    await f.syncAll();
    const [p0, p1] = f.processes;
    f.processes.forEach((p) => p.dependency('hang'));
    f.advance(1000);
    void p0!.attempt('t0'); // p0 takes the lease and its trial hangs
    await settle();
    expect(await p1!.attempt('t1')).toBe('rejected');
    skew[1] = -60_000;
    expect(p1!.breaker.retryAfter).toBeLessThanOrEqual(1000);
    f.advance(1100); // p0's lease is over at the store
    p1!.dependency('ok');
    // It asks at once. Its first request carries a stamp from before the step (60 s old by the
    // store's clock) and is refused as late; the answer re-times the stamps, and the next is granted.
    const tries = [await p1!.attempt('t1b'), await p1!.attempt('t1c')];
    expect(tries.filter((r) => r !== 'rejected')).toHaveLength(1);
  });

  it('a lease holder whose clock steps back does not hold the lease past its length: it asks the store again', async () => {
    const skew = [0, 0];
    const f = make(2, { halfOpenMaxCalls: 2 }, skew);
    await tripProcess0(f);
    await f.syncAll();
    const [p0] = f.processes;
    let asked = 0;
    f.control.intercept = (op) => (op === 'trial' && (asked += 1), undefined);
    p0!.dependency('hang');
    f.advance(1000);
    void p0!.attempt('t0');
    await settle();
    expect(asked).toBe(1);
    skew[0] = -60_000;
    f.advance(1100); // the lease is over at the store, and by p0's own clock before the step
    void p0!.attempt('t1');
    await settle();
    // Before, p0 ran the call under the lease it thought it held for 60 s more, asking nothing.
    expect(asked).toBeGreaterThanOrEqual(2);
  });

  it('storeUp reports no negative time away when the clock stepped back meanwhile', async () => {
    const skew = [0];
    const f = make(1, {}, skew);
    await settle();
    const ups: number[] = [];
    f.processes[0]!.breaker.on('storeUp', ({ downFor }) => ups.push(downFor));
    f.control.down = true;
    await f.syncAll();
    skew[0] = -60_000;
    f.control.down = false;
    await f.syncAll();
    expect(ups).toEqual([0]);
  });

  it('a lease ends with the open it was granted for', async () => {
    const f = make(2, { recoveryTimeout: (n) => 4000 / n });
    await tripProcess0(f);
    await f.syncAll();
    f.advance(4000);
    const [p0, p1] = f.processes;
    await p0!.attempt();
    await settle();
    // p0 holds a 4 s lease; p1 closes and re-opens the fleet by hand, for 4 s again.
    p1!.breaker.close();
    await settle();
    p1!.breaker.open();
    await settle();
    await f.syncAll();
    f.advance(4000);
    p0!.ran.length = 0;
    p1!.dependency('ok');
    p0!.dependency('ok');
    const trials = await Promise.all([p0!.attempt('p0'), p1!.attempt('p1')]);
    expect(trials.filter((r) => r !== 'rejected')).toHaveLength(1);
  });

  it('close() or reset() by hand reaches the fleet even when this process was already closed', async () => {
    const f = make(2);
    await tripProcess0(f);
    const [, p1] = f.processes;
    expect(p1!.breaker.state).toBe('closed');
    p1!.breaker.reset();
    await f.syncAll();
    expect(f.control.rows.get('dep')!.state).toBe('closed');
    expect(f.processes[0]!.breaker.state).toBe('closed');
  });

  it('an open taken in from elsewhere blames no failure of this process', async () => {
    const f = make(2);
    const [p0, p1] = f.processes;
    p1!.dependency('fail');
    await p1!.attempt();
    expect(p1!.breaker.lastFailure).toBeInstanceOf(Error);
    const causes: unknown[] = [];
    p1!.breaker.on('open', ({ cause }) => causes.push(cause));
    await tripProcess0(f);
    await f.syncAll();
    expect(p1!.breaker.state).toBe('open');
    expect(causes).toEqual([undefined]);
    expect(p0!.breaker.lastFailure).toBeInstanceOf(Error);
  });

  it('a slow store gets one read per breaker at a time, not one more per interval', async () => {
    const f = make(1);
    await settle();
    f.control.hang = true;
    const before = f.control.calls;
    void f.processes[0]!.store.sync();
    void f.processes[0]!.store.sync();
    void f.processes[0]!.store.sync();
    await settle();
    expect(f.control.calls - before).toBe(1);
  });

  it('a breaker attached while the store is away hears of its return with its own time away', async () => {
    const f = make(1);
    f.control.down = true;
    await f.syncAll();
    const late = new CircuitBreaker({ name: 'late', registry: false, store: f.processes[0]!.store, clock: { now: () => 5_000 } });
    const ups: number[] = [];
    late.on('storeUp', ({ downFor }) => ups.push(downFor));
    f.control.down = false;
    await f.syncAll();
    expect(ups).toEqual([0]);
  });

  it('never keeps a breaker alive: one nobody uses is collected while attached', async () => {
    const { backend } = memoryBackend(() => 0);
    const store = sharedStore(backend, { syncInterval: 60_000 });
    // Both in the default registry: a second live breaker of that name there would throw.
    let breaker: CircuitBreaker | undefined = new CircuitBreaker({ name: 'store-collected', store });
    const ref = new WeakRef(breaker);
    breaker.open();
    await settle();
    expect(defaultRegistry.get('store-collected')).toBe(breaker);
    breaker = undefined;
    expect(await collected(ref)).toBe(true);
    // And its name is free again in the default registry.
    const again = new CircuitBreaker({ name: 'store-collected', store });
    expect(defaultRegistry.get('store-collected')).toBe(again);
    defaultRegistry.unregister(again);
    store.close();
  });

  it('fractional open times (jittered backoff) reach the backend as whole milliseconds', async () => {
    const f = make(1, { recoveryTimeout: () => 1234.56 });
    await tripProcess0(f);
    expect(f.control.rows.get('dep')).toMatchObject({ state: 'open', openPeriod: 1235 });
    expect(f.reports).toEqual([]);
  });
});

describe('sharedStore: input', () => {
  const { backend } = memoryBackend(() => 0);

  it('refuses bad options, naming them', () => {
    expect(() => sharedStore(backend, { syncInterval: 0 })).toThrow(new RangeError('syncInterval must be a positive finite number of milliseconds, got 0'));
    expect(() => sharedStore(backend, { timeout: -1 })).toThrow(RangeError);
    expect(() => sharedStore(backend, { owner: '' })).toThrow(TypeError);
    expect(() => sharedStore(backend, { interval: 5 } as never)).toThrow(new TypeError('unknown store option "interval"'));
    expect(() => sharedStore({ read() {} } as never)).toThrow(/backend must be an object with read, open, close and trial methods/);
  });

  it('a breaker needs a name to share, a real store, and cannot change store later', () => {
    const store = sharedStore(backend, { syncInterval: 60_000 });
    expect(() => new CircuitBreaker({ store })).toThrow(new TypeError('store needs a name: processes share a circuit by its name'));
    expect(() => new CircuitBreaker({ name: 'x', registry: false, store: {} as never })).toThrow(/store must be a store made by redisStore or sharedStore/);
    const breaker = new CircuitBreaker({ name: 'x', registry: false, store });
    expect(() => breaker.configure({ store } as never)).toThrow(new TypeError('store cannot be changed by configure'));
    store.close();
  });
});
