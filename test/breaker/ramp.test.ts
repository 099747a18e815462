import { CircuitBreaker, CircuitOpenError, CircuitRampError, circuit, circuitSync, isCircuitOpenError, restoreBreaker } from 'circuitry';
import type { BreakerOptions } from 'circuitry';
import { afterEach, describe, expect, it } from 'vitest';
import { manualClock } from '../helpers/manual-clock.js';
import { fleet, settle } from '../store/fleet.js';

const RECOVERY = 1000;

/** A breaker that has just closed from half-open: one failure opened it, one trial closed it. */
function recovered(options: BreakerOptions = {}) {
  const clock = manualClock();
  const breaker = new CircuitBreaker({ clock, failureThreshold: 1, recoveryTimeout: RECOVERY, registry: false, ramp: { duration: 1000, minShare: 0.25 }, ...options });
  let outcome: 'ok' | 'fail' = 'fail';
  const call = circuitSync(() => {
    if (outcome === 'fail') throw new Error('down');
    return 'ok';
  }, breaker);
  /** Offers one call: 'ok' when it ran and succeeded, 'ramp' when the ramp refused it, the error's name otherwise. */
  const offer = (): string => {
    try {
      return call();
    } catch (error) {
      return error instanceof CircuitRampError ? 'ramp' : (error as Error).name;
    }
  };
  const recover = () => {
    outcome = 'fail';
    offer();
    clock.advance(RECOVERY);
    outcome = 'ok';
    offer();
  };
  recover();
  return {
    clock,
    breaker,
    offer,
    recover,
    dependency(next: 'ok' | 'fail') {
      outcome = next;
    },
    /** How many of `n` calls offered now are admitted. */
    admittedOf(n: number): number {
      let admitted = 0;
      for (let i = 0; i < n; i++) if (offer() !== 'ramp') admitted += 1;
      return admitted;
    },
  };
}

let current: ReturnType<typeof fleet> | undefined;
afterEach(() => {
  current?.close();
  current = undefined;
});

describe('ramp: traffic comes back gradually after an outage', () => {
  it('is off by default: a close from half-open lets every call through at once', () => {
    const r = recovered({ ramp: undefined });
    expect(r.breaker.state).toBe('closed');
    expect(r.admittedOf(20)).toBe(20);
    expect(r.breaker.stats().rampShare).toBeUndefined();
  });

  it('admits a share that grows with the time gone, from minShare to every call at the end', () => {
    const r = recovered();
    expect(r.breaker.state).toBe('closed');
    // The first call of a ramp runs; after it, one in four while the share is 0.25.
    expect(r.breaker.stats().rampShare).toBe(0.25);
    expect(r.admittedOf(1)).toBe(1);
    expect(r.admittedOf(100)).toBe(25);
    r.clock.advance(250);
    expect(r.breaker.stats().rampShare).toBe(0.25);
    r.clock.advance(250);
    expect(r.breaker.stats().rampShare).toBe(0.5);
    expect(r.admittedOf(100)).toBe(50);
    r.clock.advance(250);
    expect(r.breaker.stats().rampShare).toBe(0.75);
    expect(r.admittedOf(100)).toBe(75);
    r.clock.advance(249);
    expect(r.admittedOf(1000)).toBe(999);
    r.clock.advance(1);
    expect(r.breaker.stats().rampShare).toBeUndefined();
    expect(r.admittedOf(100)).toBe(100);
  });

  it('admits exactly one call in ten at a share of 0.1, which binary fractions do not add up to exactly', () => {
    const r = recovered({ ramp: { duration: 1000 } });
    expect(r.breaker.stats().rampShare).toBe(0.1);
    r.admittedOf(1);
    for (let round = 0; round < 10; round++) expect(Array.from({ length: 10 }, r.offer).filter((d) => d === 'ok')).toHaveLength(1);
  });

  it('spreads the admitted calls evenly, as the share of the moment says', () => {
    const r = recovered();
    r.admittedOf(1);
    expect(Array.from({ length: 8 }, r.offer)).toEqual(['ramp', 'ramp', 'ramp', 'ok', 'ramp', 'ramp', 'ramp', 'ok']);
    r.clock.advance(500);
    expect(Array.from({ length: 6 }, r.offer)).toEqual(['ramp', 'ok', 'ramp', 'ok', 'ramp', 'ok']);
  });

  it('decides the same calls for the same calls and clock, with no randomness', () => {
    const sequence = () => {
      const r = recovered({ ramp: { duration: 10_000 } });
      const decisions: string[] = [];
      for (let i = 0; i < 400; i++) {
        decisions.push(r.offer());
        r.clock.advance(37);
      }
      return decisions;
    };
    const first = sequence();
    expect(sequence()).toEqual(first);
    // The default minShare is 0.1 and the share grows linearly: the 271 calls within the ramp
    // run about as often as their shares add up (137), the 129 after it all run. Worked out by
    // hand from the rule (due starts at minShare, each call takes the share of its moment off
    // it, one runs when nothing is due and puts 1 back): 266.
    expect(first.filter((d) => d === 'ok')).toHaveLength(266);
    expect(first.slice(0, 10).filter((d) => d === 'ok')).toHaveLength(1);
  });

  it('gives idle time no credit: after a pause, the calls come back at the share of the moment, not in a burst', () => {
    const r = recovered({ ramp: { duration: 10_000, minShare: 0.5 } });
    r.admittedOf(1);
    r.clock.advance(4_000);
    expect(r.admittedOf(10)).toBe(5);
  });

  it('refuses with a CircuitRampError: a CircuitOpenError, counted among rejections, told to `rejected` listeners', () => {
    const r = recovered();
    const heard: unknown[] = [];
    r.breaker.on('rejected', ({ error }) => heard.push(error));
    r.offer();
    const before = r.breaker.stats().rejections;
    let refusal: unknown;
    try {
      circuitSync(() => 'ran', r.breaker)();
    } catch (error) {
      refusal = error;
    }
    expect(refusal).toBeInstanceOf(CircuitRampError);
    expect(refusal).toBeInstanceOf(CircuitOpenError);
    expect(isCircuitOpenError(refusal)).toBe(true);
    const error = refusal as CircuitRampError;
    expect([error.name, error.code, error.state, error.breakerName]).toEqual(['CircuitRampError', 'CIRCUITRY_RAMP', 'closed', 'anonymous']);
    // The first call ran and put 1 due; this one earned 0.25 of it: alone, a call earns the
    // remaining 0.75 once the share reaches it, 750 ms into the ramp.
    expect(error.retryAfter).toBe(750);
    expect(error.message).toBe('Circuit "anonymous" is ramping up; retry in 750 ms');
    expect(r.breaker.stats().rejections).toBe(before + 1);
    expect(heard).toEqual([refusal]);
    expect(r.breaker.state).toBe('closed');
  });

  it('says in retryAfter when a call coming alone would be admitted, and admits it then', () => {
    const r = recovered({ ramp: { duration: 1000, minShare: 0.1 } });
    r.offer();
    for (let i = 0; i < 12; i++) {
      const wait = r.breaker.retryAfter;
      if (wait === 0) {
        expect(r.offer()).toBe('ok');
        continue;
      }
      let refusal: CircuitRampError | undefined;
      try {
        circuitSync(() => 'ran', r.breaker)();
      } catch (error) {
        refusal = error as CircuitRampError;
      }
      // The refused call added its share: the wait it is told takes that into account.
      expect(refusal?.retryAfter).toBe(r.breaker.retryAfter);
      const told = refusal!.retryAfter;
      // 0 when the refused call left so little due that the next one runs, whenever it comes.
      if (told === 0) {
        expect(r.offer()).toBe('ok');
        continue;
      }
      r.clock.advance(told - 0.5);
      expect(r.breaker.retryAfter).toBeGreaterThan(0);
      r.clock.advance(0.5);
      expect(r.breaker.retryAfter).toBe(0);
      expect(r.offer()).toBe('ok');
    }
    expect(r.breaker.stats().retryAfter).toBe(r.breaker.retryAfter);
  });

  it('serves ramp refusals with the fallback, as any rejection', async () => {
    const clock = manualClock();
    const served: unknown[] = [];
    let fail = true;
    const call = circuit(
      async () => {
        if (fail) throw new Error('down');
        return 'real';
      },
      { clock, failureThreshold: 1, recoveryTimeout: RECOVERY, registry: false, ramp: { duration: 1000, minShare: 0.5 }, fallback: (error) => (served.push(error), 'fallback') },
    );
    await call();
    clock.advance(RECOVERY);
    fail = false;
    expect(await call()).toBe('real');
    expect([await call(), await call(), await call(), await call()]).toEqual(['real', 'fallback', 'real', 'fallback']);
    expect(served.slice(1)).toHaveLength(2);
    expect(served[1]).toBeInstanceOf(CircuitRampError);
    expect(call.breaker.stats()).toMatchObject({ rejections: 2, fallbacks: 3 });
  });

  it('works for execute, circuit and circuitSync alike, over one breaker', async () => {
    const r = recovered({ ramp: { duration: 1000, minShare: 0.5 } });
    const viaCircuit = circuit(async () => 'circuit', r.breaker);
    const viaSync = circuitSync(() => 'sync', r.breaker);
    const results: string[] = [];
    const settleOne = async (attempt: () => unknown) => {
      try {
        results.push(String(await attempt()));
      } catch (error) {
        results.push((error as Error).name);
      }
    };
    await settleOne(() => r.breaker.execute(() => 'execute'));
    await settleOne(() => r.breaker.execute(() => 'execute'));
    await settleOne(() => viaCircuit());
    await settleOne(() => viaCircuit());
    await settleOne(() => viaSync());
    await settleOne(() => viaSync());
    await settleOne(() => r.breaker.execute(() => 'execute', { signal: new AbortController().signal }));
    await settleOne(() => r.breaker.execute(() => 'execute', { signal: new AbortController().signal }));
    expect(results).toEqual(['execute', 'CircuitRampError', 'circuit', 'CircuitRampError', 'sync', 'CircuitRampError', 'execute', 'CircuitRampError']);
  });

  it('ramps a method decorated with @circuit', async () => {
    const clock = manualClock();
    class Client {
      fail = true;
      @circuit({ clock, failureThreshold: 1, recoveryTimeout: RECOVERY, registry: false, ramp: { duration: 1000, minShare: 0.5 } })
      async get(): Promise<string> {
        if (this.fail) throw new Error('down');
        return 'got';
      }
    }
    const client = new Client();
    await client.get().catch(() => undefined);
    clock.advance(RECOVERY);
    client.fail = false;
    expect(await client.get()).toBe('got');
    expect(await client.get()).toBe('got');
    await expect(client.get()).rejects.toBeInstanceOf(CircuitRampError);
  });

  it('judges failures during a ramp as in any closed state; a re-open ends the ramp, and the next close starts a new one', () => {
    const r = recovered();
    r.breaker.configure({ failureThreshold: 2 });
    r.clock.advance(500);
    r.dependency('fail');
    expect([r.offer(), r.offer()]).toEqual(['Error', 'ramp']);
    expect(r.breaker.state).toBe('closed');
    expect(r.breaker.consecutiveFailures).toBe(1);
    expect(r.offer()).toBe('Error');
    expect(r.breaker.state).toBe('open');
    expect(r.breaker.stats().rampShare).toBeUndefined();
    expect(r.offer()).toBe('CircuitOpenError');
    r.clock.advance(RECOVERY);
    r.dependency('ok');
    expect(r.offer()).toBe('ok');
    expect(r.breaker.state).toBe('closed');
    expect(r.breaker.stats().rampShare).toBe(0.25);
  });

  it('ramps after a sample of trials closes the circuit too', () => {
    const r = recovered({ trials: { calls: 2, failureRate: 0.5 } });
    // recovered() ran one trial; the sample needs a second before it closes.
    expect(r.breaker.state).toBe('half-open');
    expect(r.offer()).toBe('ok');
    expect(r.breaker.state).toBe('closed');
    expect(r.breaker.stats().rampShare).toBe(0.25);
  });

  it('lets every call through after a close by hand, and reset() ends a ramp under way', () => {
    const r = recovered();
    expect(r.breaker.stats().rampShare).toBe(0.25);
    r.breaker.reset();
    expect(r.breaker.stats().rampShare).toBeUndefined();
    expect(r.admittedOf(10)).toBe(10);
    r.dependency('fail');
    r.offer();
    expect(r.breaker.state).toBe('open');
    r.breaker.close();
    r.dependency('ok');
    expect(r.admittedOf(10)).toBe(10);
  });

  it('keeps a ramp under way as it started when configure changes the option; the next close follows the new one', () => {
    const r = recovered();
    r.breaker.configure({ ramp: undefined });
    expect(r.breaker.stats().rampShare).toBe(0.25);
    expect(r.admittedOf(1)).toBe(1);
    expect(r.admittedOf(4)).toBe(1);
    r.clock.advance(1000);
    expect(r.breaker.stats().rampShare).toBeUndefined();
    r.recover();
    expect(r.breaker.stats().rampShare).toBeUndefined();
    expect(r.admittedOf(10)).toBe(10);
    r.breaker.configure({ ramp: { duration: 2000, minShare: 0.5 } });
    // Turned on while closed: nothing to ramp until the next close from half-open.
    expect(r.admittedOf(10)).toBe(10);
    r.recover();
    expect(r.breaker.stats().rampShare).toBe(0.5);
    r.clock.advance(1500);
    expect(r.breaker.stats().rampShare).toBe(0.75);
  });

  it('stops reading the clock on the closed path once a ramp is over', () => {
    const r = recovered();
    r.clock.advance(1000);
    r.offer();
    const reads = r.clock.reads;
    r.admittedOf(100);
    expect(r.clock.reads).toBe(reads);
  });

  it('does not outlast its duration of real time when the clock steps back', () => {
    const r = recovered({ ramp: { duration: 1000, minShare: 0.1 } });
    r.clock.advance(600);
    expect(r.breaker.stats().rampShare).toBeCloseTo(0.6);
    r.clock.advance(-3_600_000);
    expect(r.breaker.stats().rampShare).toBeCloseTo(0.6);
    r.offer();
    r.clock.advance(400);
    expect(r.breaker.stats().rampShare).toBeUndefined();
    expect(r.admittedOf(10)).toBe(10);
  });

  it('in shadow mode lets the calls it would have refused run, counting them as would-be rejections', () => {
    const r = recovered({ shadow: true, ramp: { duration: 1000, minShare: 0.5 } });
    r.offer();
    expect(r.admittedOf(4)).toBe(4);
    expect(r.breaker.stats()).toMatchObject({ wouldReject: 2, rejections: 0, rampShare: 0.5 });
  });

  it('is not part of a snapshot: a circuit restored closed admits every call', () => {
    const r = recovered();
    const snapshot = r.breaker.toJSON();
    expect(snapshot.state).toBe('closed');
    expect(Object.keys(snapshot)).not.toContain('ramp');
    const restored = restoreBreaker(snapshot, { clock: r.clock, registry: false, ramp: { duration: 1000 } });
    expect(restored.stats().rampShare).toBeUndefined();
    const call = circuitSync(() => 'ok', restored);
    expect(Array.from({ length: 10 }, () => call())).toEqual(Array(10).fill('ok'));
  });

  it('ramps a process that takes on a close from the shared store', async () => {
    const f = (current = fleet(2, { ramp: { duration: 1000, minShare: 0.25 } }));
    const [p0, p1] = f.processes;
    p0!.dependency('fail');
    for (let i = 0; i < 3; i++) await p0!.attempt();
    await settle();
    await f.syncAll();
    expect(p1!.breaker.state).toBe('open');
    f.advance(1000);
    p0!.dependency('ok');
    expect(await p0!.attempt()).toBe('call');
    await settle();
    expect(p0!.breaker.stats().rampShare).toBe(0.25);
    await f.syncAll();
    expect(p1!.breaker.state).toBe('closed');
    expect(p1!.breaker.stats().rampShare).toBe(0.25);
    const outcomes: string[] = [];
    for (let i = 0; i < 8; i++) outcomes.push(await p1!.call('b').then(String, (error: Error) => error.name));
    expect(outcomes).toEqual(['b', 'CircuitRampError', 'CircuitRampError', 'CircuitRampError', 'b', 'CircuitRampError', 'CircuitRampError', 'CircuitRampError']);
    f.advance(1000);
    expect(p1!.breaker.stats().rampShare).toBeUndefined();
  });
});

describe('ramp option', () => {
  it.each([
    [{ ramp: 5000 }, new TypeError('ramp options must be an object, got 5000')],
    [{ ramp: {} }, new TypeError('ramp.duration must be a positive finite number of milliseconds, got undefined')],
    [{ ramp: { duration: 0 } }, new RangeError('ramp.duration must be a positive finite number of milliseconds, got 0')],
    [{ ramp: { duration: Infinity } }, new RangeError('ramp.duration must be a positive finite number of milliseconds, got Infinity')],
    [{ ramp: { duration: 1000, minShare: 0 } }, new RangeError('ramp.minShare must be a rate above 0 and at most 1, got 0')],
    [{ ramp: { duration: 1000, minShare: 1.5 } }, new RangeError('ramp.minShare must be a rate above 0 and at most 1, got 1.5')],
    [{ ramp: { duration: 1000, minShare: '0.1' } }, new TypeError('ramp.minShare must be a rate above 0 and at most 1, got "0.1" (a string)')],
    [{ ramp: { duration: 1000, aggression: 2 } }, new TypeError('unknown ramp option "aggression"')],
  ])('refuses %j, at construction and in configure()', (options, error) => {
    expect(() => new CircuitBreaker({ registry: false, ...(options as BreakerOptions) })).toThrow(error);
    const breaker = new CircuitBreaker({ registry: false, ramp: { duration: 1000 } });
    expect(() => breaker.configure(options as BreakerOptions)).toThrow(error);
  });

  it('leaves the breaker as it was when configure() refuses a ramp', () => {
    const r = recovered();
    expect(() => r.breaker.configure({ failureThreshold: 9, ramp: { duration: -1 } })).toThrow(RangeError);
    r.dependency('fail');
    r.clock.advance(1000);
    r.offer();
    expect(r.breaker.state).toBe('open');
  });
});
