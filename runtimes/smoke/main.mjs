// The main entry's public API as a user calls it, on an injected clock: no wall-clock sleep
// decides a state change. Only the timeout check uses real time (20 ms against a 1 s task).
import {
  CircuitBreaker,
  TimeoutError,
  callSignal,
  circuit,
  circuitSync,
  countWindow,
  isCircuitOpenError,
  retry,
  timeout,
} from 'circuitry';
import { eq, ok, rejection, thrown } from './assert.mjs';

function manualClock() {
  let t = 0;
  return { now: () => t, set: (ms) => void (t = ms) };
}

const fail = (message) => async () => {
  throw new Error(message);
};

export const mainChecks = {
  async 'open → half-open → closed'() {
    const clock = manualClock();
    const breaker = new CircuitBreaker({ failureThreshold: 2, recoveryTimeout: 1_000, clock, registry: false });
    const changes = [];
    breaker.on('stateChange', ({ from, to }) => changes.push(`${from}>${to}`));
    let up = false;
    const call = circuit(async () => {
      if (!up) throw new Error('down');
      return 'up';
    }, breaker);
    eq((await rejection(call(), 'first failure')).message, 'down', 'first failure');
    eq(breaker.state, 'closed', 'state after one failure');
    await rejection(call(), 'second failure');
    eq(breaker.state, 'open', 'state after two failures');
    up = true;
    const refused = await rejection(call(), 'call while open');
    ok(isCircuitOpenError(refused), 'an open circuit refuses with CircuitOpenError');
    eq(refused.retryAfter, 1_000, 'retryAfter of the refusal');
    clock.set(999);
    eq(breaker.state, 'open', 'state 1 ms before the recovery timeout');
    clock.set(1_000);
    eq(breaker.state, 'half-open', 'state at the recovery timeout');
    eq(await call(), 'up', 'trial call');
    eq(breaker.state, 'closed', 'state after a successful trial');
    eq(changes, ['closed>open', 'open>half-open', 'half-open>closed'], 'state changes heard');
  },

  async fallback() {
    const clock = manualClock();
    const getUser = circuit(fail('users down'), {
      failureThreshold: 1,
      clock,
      fallback: (error, id) => `cached ${id} (${isCircuitOpenError(error) ? 'refused' : error.message})`,
    });
    eq(await getUser('7'), 'cached 7 (users down)', 'fallback for a failure');
    eq(getUser.breaker.state, 'open', 'state after the failure');
    eq(await getUser('8'), 'cached 8 (refused)', 'fallback for a refusal');
    eq(getUser.breaker.stats().fallbacks, 2, 'fallbacks counted');
  },

  async 'timeout and callSignal'() {
    let signal;
    let timer;
    const slow = timeout(async () => {
      signal = callSignal();
      await new Promise((resolve, reject) => {
        timer = setTimeout(resolve, 1_000);
        signal.addEventListener('abort', () => reject(signal.reason));
      });
      return 'too late';
    }, 20);
    try {
      const error = await rejection(slow(), 'a 1 s task under a 20 ms timeout');
      ok(error instanceof TimeoutError, `rejects with TimeoutError, got ${error}`);
      eq(error.timeout, 20, 'the error says the timeout');
      ok(signal instanceof AbortSignal, 'callSignal() gives an AbortSignal');
      eq(signal.aborted, true, 'the call signal is aborted when time is up');
      eq(signal.reason, error, 'the signal aborts with the TimeoutError');
    } finally {
      clearTimeout(timer);
    }
    const quick = timeout(async () => (callSignal().aborted ? 'aborted' : 'done'), 1_000);
    eq(await quick(), 'done', 'a fast call is not aborted');
    const outside = thrown(() => callSignal(), 'callSignal outside a call');
    ok(outside instanceof TypeError, 'callSignal outside a call throws a TypeError');
  },

  async retry() {
    let calls = 0;
    const flaky = retry(
      async () => {
        calls += 1;
        if (calls < 3) throw new Error(`blip ${calls}`);
        return `ok after ${calls}`;
      },
      { attempts: 3, wait: 1 },
    );
    eq(await flaky(), 'ok after 3', 'a call that succeeds on its third attempt');
    const heard = [];
    const broken = retry(fail('still down'), { attempts: 2, wait: 1, onRetry: ({ attempt }) => heard.push(attempt) });
    const error = await rejection(broken(), 'exhausted retries');
    eq([error.message, error.attempts], ['still down', 2], 'the last error itself, with attempts');
    eq(heard, [1], 'onRetry heard before the one retry');
  },

  async circuitSync() {
    const clock = manualClock();
    const parse = circuitSync((raw) => JSON.parse(raw), { failureThreshold: 1, recoveryTimeout: 500, clock });
    eq(parse('{"a":1}'), { a: 1 }, 'a synchronous result, not a promise');
    ok(thrown(() => parse('{'), 'bad JSON') instanceof SyntaxError, 'the error itself is thrown');
    eq(parse.breaker.state, 'open', 'state after one failure');
    ok(isCircuitOpenError(thrown(() => parse('1'), 'call while open')), 'refused while open');
    clock.set(500);
    eq(parse('2'), 2, 'trial call');
    eq(parse.breaker.state, 'closed', 'state after the trial');
  },

  async 'count window'() {
    const clock = manualClock();
    const breaker = new CircuitBreaker({ policy: countWindow({ size: 4, failureRate: 0.5, minimumCalls: 4 }), clock, registry: false });
    const ok1 = circuit(async () => 'ok', breaker);
    const bad = circuit(fail('bad'), breaker);
    await ok1();
    await rejection(bad(), 'failure 1');
    await ok1();
    eq(breaker.state, 'closed', 'state with 3 calls, below minimumCalls');
    eq(breaker.stats().window, { calls: 3, failures: 1, slowCalls: 0 }, 'window after 3 calls');
    await rejection(bad(), 'failure 2');
    eq(breaker.state, 'open', 'state at a 50% failure rate over 4 calls');
  },

  async 'throwing listener'() {
    const reported = [];
    const breaker = new CircuitBreaker({
      name: 'smoke-listener',
      registry: false,
      failureThreshold: 1,
      clock: manualClock(),
      reportError: (error, source, name) => reported.push([error.message, source, name]),
    });
    breaker.on('success', () => {
      throw new Error('success listener broke');
    });
    breaker.on('open', () => {
      throw new Error('open listener broke');
    });
    eq(await circuit(async () => 42, breaker)(), 42, 'the result of a call whose listener throws');
    eq((await rejection(circuit(fail('down'), breaker)(), 'a failing call')).message, 'down', 'the failure of a call whose open listener throws');
    eq(breaker.state, 'open', 'state after the failure');
    eq(reported, [['success listener broke', 'success', 'smoke-listener'], ['open listener broke', 'open', 'smoke-listener']], 'reported');
  },
};
