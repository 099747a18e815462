import { describe, expect, it } from 'vitest';
import { timeWindow } from 'circuitry';
import { describeValue } from '../../src/check/check.js';
import { driven } from '../helpers/drive.js';

const HOUR = 3_600_000;

describe('timeWindow', () => {
  it('opens on the failure rate over the last duration ms', async () => {
    const d = driven({ policy: timeWindow({ duration: 1000, failureRate: 0.5, minimumCalls: 4 }) });
    await d.run('fail', 'ok', 'fail');
    expect(d.breaker.state).toBe('closed');
    await d.run('ok');
    expect(d.breaker.state).toBe('open');
  });

  it('leaves no stale counts after an hour of silence', async () => {
    // The sequence that opens a peer library's sampling breaker, whose window advances one slice per call.
    const d = driven({ policy: timeWindow({ duration: 10_000, failureRate: 0.5, minimumCalls: 4 }) });
    await d.run('fail', 'fail', 'fail');
    d.clock.advance(HOUR);
    await d.run('ok', 'ok', 'ok', 'fail');
    expect(d.breaker.state).toBe('closed');
  });

  it('expires a slice exactly when it falls out of the window', async () => {
    // 10 slices of 100 ms. Failures at t0, then successes; the failures' slice leaves at t0 + 1000.
    const d = driven({ policy: timeWindow({ duration: 1000, buckets: 10, failureRate: 0.5, minimumCalls: 2 }) });
    d.clock.set(5_000);
    await d.run('fail');
    d.clock.set(5_999);
    await d.run('ok');
    expect(d.breaker.state).toBe('open'); // 1 of 2 failed, both in the window

    const e = driven({ policy: timeWindow({ duration: 1000, buckets: 10, failureRate: 0.5, minimumCalls: 2 }) });
    e.clock.set(5_000);
    await e.run('fail');
    e.clock.set(6_000);
    await e.run('ok', 'ok');
    expect(e.breaker.state).toBe('closed'); // the failure's slice has left: 0 of 2
  });

  it('keeps counting across gaps shorter than the window', async () => {
    const d = driven({ policy: timeWindow({ duration: 1000, buckets: 4, failureRate: 0.75, minimumCalls: 4 }) });
    for (let i = 0; i < 3; i++) {
      await d.run('fail');
      d.clock.advance(240);
    }
    await d.run('ok');
    expect(d.breaker.state).toBe('open'); // 3 of 4 within 1000 ms
  });

  it('does not open before minimumCalls', async () => {
    const d = driven({ policy: timeWindow({ duration: 60_000, failureRate: 0.1, minimumCalls: 20 }) });
    await d.run(...Array.from({ length: 19 }, () => 'fail' as const));
    expect(d.breaker.state).toBe('closed');
  });

  it('treats a clock that steps back as the newest slice', async () => {
    const d = driven({ policy: timeWindow({ duration: 1000, failureRate: 1, minimumCalls: 2 }) });
    d.clock.set(10_000);
    await d.run('fail');
    d.clock.set(9_000);
    await d.run('fail');
    expect(d.breaker.state).toBe('open');
  });

  it('forgets counts within its duration of the first reading after the clock steps back', () => {
    const policy = timeWindow({ duration: 1000, failureRate: 1, minimumCalls: 2 })();
    let t = 1_000_000;
    const now = () => t;
    policy.onFailure(false, now);
    t -= 60_000;
    expect(policy.stats!(now).failures).toBe(1);
    t += 1000;
    expect(policy.stats!(now)).toEqual({ calls: 0, failures: 0, slowCalls: 0 });
    expect(policy.onFailure(false, now)).toBe(false); // alone in the window: 1 call, below minimumCalls
  });

  it('holds counts restored from a clock ahead of this one for at most its duration', () => {
    const policy = timeWindow({ duration: 1000, failureRate: 1, minimumCalls: 2 })();
    let t = 1_000_000;
    const now = () => t;
    policy.restore!({ buckets: [[t + HOUR, 3, 3, 0]] });
    expect(policy.stats!(now).calls).toBe(3);
    t += 1000;
    expect(policy.stats!(now).calls).toBe(0);
  });

  it('keeps counting in time after restoring slices from a clock at the far end of the number line', () => {
    for (const start of [-1e300, 1e300]) {
      const policy = timeWindow({ duration: 1000, failureRate: 1, minimumCalls: 2 })();
      let t = 1_000_000;
      const now = () => t;
      policy.restore!({ buckets: [[start, 3, 3, 0]] });
      policy.stats!(now);
      t += 1000;
      policy.onSuccess(false, now);
      t += 1000;
      expect(policy.stats!(now).calls).toBe(0);
    }
  });

  it('keeps live slices across the renumbering that keeps slice numbers small', async () => {
    // 100 ms slices; slice numbers are renumbered once they reach 2^30.
    const d = driven({ policy: timeWindow({ duration: 1000, buckets: 10, failureRate: 1, minimumCalls: 2 }) });
    const width = 100;
    const t0 = d.clock.now();
    await d.run('ok');
    d.clock.set(t0 + (2 ** 30 - 3) * width);
    await d.run('fail');
    d.clock.set(t0 + 2 ** 30 * width);
    await d.run('fail');
    expect(d.breaker.state).toBe('open'); // both failures still in the window; the old success is gone
    expect(d.breaker.toJSON().policy).toEqual({
      buckets: [
        [t0 + (2 ** 30 - 3) * width, 1, 1, 0],
        [t0 + 2 ** 30 * width, 1, 1, 0],
      ],
    });
  });

  it('counts slow calls toward slowCallRate', async () => {
    const d = driven({ policy: timeWindow({ duration: 10_000, slowCallRate: 0.5, minimumCalls: 2 }), slowCallDuration: 200 });
    await d.guarded('ok', 10);
    await d.guarded('ok', 500);
    expect(d.breaker.state).toBe('open');
  });

  it('stops counting a slow call toward slowCallRate once it leaves the window', () => {
    const policy = timeWindow({ duration: 1000, failureRate: 1, slowCallRate: 0.5, minimumCalls: 2 })();
    let t = 1_000_000;
    const now = () => t;
    policy.onSuccess(true, now);
    t += 1000;
    expect(policy.onSuccess(false, now)).toBe(false);
    expect(policy.onSuccess(false, now)).toBe(false); // 0 slow of 2: the slow call has left
    expect(policy.stats!(now)).toEqual({ calls: 2, failures: 0, slowCalls: 0 });
  });

  it('keeps counting in time after restoring a slice from 2^60 slices ago, where a millisecond no longer shows in the slice number', () => {
    const policy = timeWindow({ duration: 1000, buckets: 10, failureRate: 1, minimumCalls: 2 })();
    let t = 1_000_000;
    const now = () => t;
    policy.restore!({ buckets: [[t - 2 ** 60 * 100, 1, 1, 0]] });
    policy.onFailure(false, now);
    expect(policy.stats!(now).calls).toBe(1); // the old slice has left, the new failure is in
    t += 1000;
    expect(policy.stats!(now).calls).toBe(0);
  });

  it('counts restored slow calls, and lets them leave the window', () => {
    const policy = timeWindow({ duration: 1000, buckets: 10, failureRate: 1, slowCallRate: 1, minimumCalls: 2 })();
    let t = 1_000_000;
    const now = () => t;
    policy.restore!({ buckets: [[t - 500, 2, 0, 1], [t - 200, 1, 0, 1]] });
    expect(policy.stats!(now)).toEqual({ calls: 3, failures: 0, slowCalls: 2 });
    t += 600;
    expect(policy.stats!(now)).toEqual({ calls: 1, failures: 0, slowCalls: 1 });
    expect(policy.onSuccess(true, now)).toBe(true); // 2 slow of 2
  });

  it('saves and restores its slices so that they expire at the same time', () => {
    const policy = timeWindow({ duration: 1000, buckets: 10, failureRate: 1, minimumCalls: 1 })();
    let t = 1_000_000;
    const now = () => t;
    policy.onSuccess(false, now);
    t += 350;
    policy.onFailure(false, now);
    const copy = timeWindow({ duration: 1000, buckets: 10, failureRate: 1, minimumCalls: 1 })();
    copy.restore!(policy.snapshot!());
    t += 700; // the first slice has left, the second is in
    expect(copy.stats!(now)).toEqual({ calls: 1, failures: 1, slowCalls: 0 });
    expect(copy.stats!(now)).toEqual(policy.stats!(now));
  });

  it('refuses a snapshot that is not at most `buckets` rows of [start, total, failures, slow] in time order', () => {
    const policy = timeWindow({ duration: 1000, buckets: 2, failureRate: 1, minimumCalls: 1 })();
    const refused = [
      [[0, 1, 0, 0], [100, 1, 0, 0], [200, 1, 0, 0]], // more rows than buckets
      [[0, 1, 0]],
      [[0, 1, 0, 0, 0]],
      [[Number.NaN, 1, 0, 0]],
      [[0, 1.5, 0, 0]],
      [[0, 1, 0, 0.5]],
      [[0, 0, 0, 0]], // an empty slice is never saved
      [[0, 1, -1, 0]],
      [[0, 1, 0, -1]],
      [[0, 1, 2, 0]], // more failures than calls
      [[0, 1, 0, 2]],
      [[100, 1, 0, 0], [100, 1, 0, 0]],
      [[100, 1, 0, 0], [0, 1, 0, 0]],
      'rows',
      'ab',
    ];
    for (const buckets of refused) {
      expect(() => policy.restore!({ buckets }), JSON.stringify(buckets)).toThrow(
        new TypeError(`timeWindow snapshot buckets must be at most 2 [start, total, failures, slow] rows in time order, got ${describeValue(buckets)}`),
      );
    }
    expect(() => policy.restore!({ rows: [] })).toThrow(/timeWindow snapshot/);
    policy.restore!({ buckets: [[0, 2, 2, 2], [100, 1, 1, 1]] }); // the most it takes
    expect(policy.stats!(() => 150)).toEqual({ calls: 3, failures: 3, slowCalls: 3 });
  });

  it('cuts time into fixed slices from its first call: a call counts until its slice is `duration` old; a read of an empty window or an idle gap moves no slice', () => {
    // 10 slices of 100 ms, counted from the first call at t0 + 50.
    const policy = timeWindow({ duration: 1000, buckets: 10, failureRate: 1, minimumCalls: 1 })();
    const t0 = 1_000_000;
    let t = t0;
    const now = () => t;
    expect(policy.stats!(now).calls).toBe(0); // a read of an empty window sets no slices
    t = t0 + 50;
    policy.onSuccess(false, now);
    t = t0 + 1049;
    expect(policy.stats!(now).calls).toBe(1);
    t = t0 + 1050;
    expect(policy.stats!(now).calls).toBe(0);
    // After an idle gap the slices keep their places: this call's slice began at t0 + 2050.
    t = t0 + 2120;
    policy.onSuccess(false, now);
    t = t0 + 3049;
    expect(policy.stats!(now).calls).toBe(1);
    t = t0 + 3050;
    expect(policy.stats!(now).calls).toBe(0);
  });

  it('lets counts go within its duration of a backward step that stays inside the window', () => {
    const policy = timeWindow({ duration: 1000, buckets: 10, failureRate: 1, minimumCalls: 1 })();
    const t0 = 1_000_000;
    let t = t0;
    const now = () => t;
    policy.onFailure(false, now);
    t = t0 + 550;
    policy.onFailure(false, now);
    t = t0 + 220; // back 330 ms: taken as the newest slice's time
    policy.onFailure(false, now);
    expect(policy.stats!(now).calls).toBe(3);
    t = t0 + 220 + 999;
    expect(policy.stats!(now).calls).toBe(2); // the first slice has left; the newest holds two
    t = t0 + 220 + 1000;
    expect(policy.stats!(now).calls).toBe(0);
  });

  it('counts calls together after restoring slices from a clock far behind, however far', () => {
    for (const back of [2 ** 40, 2 ** 60, 1e20, 1e100, 1e300]) {
      const policy = timeWindow({ duration: 1000, buckets: 10, failureRate: 1, minimumCalls: 3 })();
      const t0 = 1_000_000;
      let t = t0;
      const now = () => t;
      policy.restore!({ buckets: [[t0 - back, 1, 1, 0]] });
      expect(policy.onFailure(false, now)).toBe(false);
      t += 150;
      expect(policy.onFailure(false, now)).toBe(false);
      t += 150;
      expect(policy.onFailure(false, now), `${back}`).toBe(true);
      t += 1000;
      expect(policy.stats!(now).calls, `${back}`).toBe(0);
    }
  });

  it('keeps several live slices in order across the renumbering that keeps slice numbers small', () => {
    const policy = timeWindow({ duration: 1000, buckets: 10, failureRate: 1, minimumCalls: 1 })();
    const t0 = 1_000_000;
    let t = t0;
    const now = () => t;
    policy.onSuccess(false, now);
    for (const slice of [2 ** 30 - 3, 2 ** 30 - 2, 2 ** 30 - 1]) {
      t = t0 + slice * 100;
      policy.onFailure(false, now);
    }
    t = t0 + 2 ** 30 * 100;
    policy.onSuccess(false, now);
    expect(policy.stats!(now)).toEqual({ calls: 4, failures: 3, slowCalls: 0 });
    t += 899;
    expect(policy.stats!(now)).toEqual({ calls: 2, failures: 1, slowCalls: 0 }); // two slices have left, in order
  });

  it('refuses bad options with the option and the value', () => {
    expect(() => timeWindow(undefined as never)).toThrow(new TypeError('timeWindow options must be an object, got undefined'));
    expect(() => timeWindow({ duration: 1000, buckets: 10_001 })).toThrow(new RangeError('buckets must be an integer from 1 to 10,000, got 10001'));
    expect(timeWindow({ duration: 1000, buckets: 10_000 })().stats!(() => 0).calls).toBe(0);
    expect(() => timeWindow({ duration: 0 })).toThrow(new RangeError('duration must be a positive finite number of milliseconds, got 0'));
    expect(() => timeWindow({ duration: Infinity })).toThrow(RangeError);
    expect(() => timeWindow({ duration: '1m' as never })).toThrow(TypeError);
    expect(() => timeWindow({ duration: 1000, buckets: 0 })).toThrow(new RangeError('buckets must be an integer from 1 to 10,000, got 0'));
    expect(() => timeWindow({ duration: 1000, minimumCalls: 0 })).toThrow(RangeError);
  });
});
