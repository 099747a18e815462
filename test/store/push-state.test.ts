import { expect, it } from 'vitest';
import type { PushState } from '../../src/store/push.js';
import { CANARY_INTERVAL, CANARY_TIMEOUT, canaryBack, pauseBefore, pushFailed } from '../../src/store/push.js';

it('a silent subscriber is found within the bound the README states: 2 s', () => {
  expect(CANARY_INTERVAL + CANARY_TIMEOUT).toBe(2000);
});

it('a canary back makes a checking subscription trusted; a failure loses it, counting failures in a row', () => {
  const checking: PushState = { state: 'checking', attempt: 1, failures: 0 };
  expect(canaryBack(checking)).toEqual({ state: 'trusted', attempt: 1 });
  expect(pushFailed({ state: 'trusted', attempt: 1 })).toEqual({ state: 'lost', attempt: 1, failures: 1 });
  expect(pushFailed({ state: 'checking', attempt: 3, failures: 2 })).toEqual({ state: 'lost', attempt: 3, failures: 3 });
  // Lost stays lost (one failure is one), closed stays closed; a canary changes neither.
  const lost: PushState = { state: 'lost', attempt: 2, failures: 1 };
  expect(pushFailed(lost)).toBe(lost);
  expect(canaryBack(lost)).toBe(lost);
  const closed: PushState = { state: 'closed', attempt: 4 };
  expect(pushFailed(closed)).toBe(closed);
});

it('the pause before subscribing again is jittered (0.5 to 1.5 times), doubles with failures, and stops at 30 s', () => {
  expect(pauseBefore(1, 0)).toBe(500);
  expect(pauseBefore(1, 0.999)).toBe(1499);
  expect(pauseBefore(2, 0.5)).toBe(2000);
  expect(pauseBefore(3, 0.5)).toBe(4000);
  expect(pauseBefore(20, 0.5)).toBe(30_000);
  expect(pauseBefore(20, 0.999)).toBeLessThan(45_000);
});
