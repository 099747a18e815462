import diagnostics from 'node:diagnostics_channel';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CircuitBreaker, CircuitOpenError, circuit, circuitSync } from 'circuitry';
import { manualClock } from '../helpers/manual-clock.js';

type Seen = [event: string, name: string, state: string, detail?: unknown];

const calls = diagnostics.tracingChannel('circuitry:call');
let seen: Seen[];
const record =
  (event: string) =>
  (context: any): void => {
    const detail = event === 'error' ? context.error : event === 'asyncEnd' || event === 'end' ? context.result : undefined;
    seen.push(detail === undefined ? [event, context.name, context.state] : [event, context.name, context.state, detail]);
  };
const subscribers = {
  start: record('start'),
  end: record('end'),
  asyncStart: record('asyncStart'),
  asyncEnd: record('asyncEnd'),
  error: record('error'),
};

beforeEach(() => {
  seen = [];
  calls.subscribe(subscribers);
});
afterEach(() => {
  calls.unsubscribe(subscribers);
});

describe('the circuitry:call tracing channel', () => {
  it('traces a success: start, end, asyncStart, asyncEnd, with the name and the state the call found, never the arguments', async () => {
    const get = circuit(async (id: string) => `user ${id}`, { name: 'users', registry: false });
    await get('secret-id');
    expect(seen).toEqual([
      ['start', 'users', 'closed'],
      ['end', 'users', 'closed'],
      ['asyncStart', 'users', 'closed'],
      ['asyncEnd', 'users', 'closed', 'user secret-id'],
    ]);
    expect(JSON.stringify(seen.slice(0, 1))).not.toContain('secret-id');
  });

  it('traces a failure: start, end, then error with the failure, asyncStart, asyncEnd', async () => {
    const failure = new Error('down');
    const get = circuit(async () => Promise.reject(failure), { name: 'users', registry: false });
    await expect(get()).rejects.toBe(failure);
    expect(seen).toEqual([
      ['start', 'users', 'closed'],
      ['end', 'users', 'closed'],
      ['error', 'users', 'closed', failure],
      ['asyncStart', 'users', 'closed'],
      ['asyncEnd', 'users', 'closed'],
    ]);
  });

  it('traces a call an open circuit rejects as any failed call, its error the CircuitOpenError', async () => {
    const get = circuit(async () => 'ok', { name: 'users', registry: false, clock: manualClock() });
    get.breaker.open();
    const refusal = await get().catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(CircuitOpenError);
    expect(seen).toEqual([
      ['start', 'users', 'open'],
      ['end', 'users', 'open'],
      ['error', 'users', 'open', refusal],
      ['asyncStart', 'users', 'open'],
      ['asyncEnd', 'users', 'open'],
    ]);
  });

  it('traces a synchronous call: start, end; and a throwing one: start, error, end', () => {
    const failure = new Error('bad');
    const parse = circuitSync((text: string) => {
      if (text === '') throw failure;
      return text.length;
    }, { name: 'parse', registry: false });
    expect(parse('abc')).toBe(3);
    expect(() => parse('')).toThrow(failure);
    expect(seen).toEqual([
      ['start', 'parse', 'closed'],
      ['end', 'parse', 'closed', 3],
      ['start', 'parse', 'closed'],
      ['error', 'parse', 'closed', failure],
      ['end', 'parse', 'closed'],
    ]);
  });

  it('traces a synchronous call with a signal once, as one without', () => {
    const parse = circuitSync((text: string, _signal: AbortSignal) => text.length, { name: 'parse', registry: false, signal: (_text, signal) => signal });
    expect(parse('abc', new AbortController().signal)).toBe(3);
    expect(seen).toEqual([
      ['start', 'parse', 'closed'],
      ['end', 'parse', 'closed', 3],
    ]);
  });

  it('traces each call once: through execute, with a signal, with a fallback, and a circuit inside a circuit', async () => {
    const breaker = new CircuitBreaker({ name: 'outer', registry: false });
    const inner = circuit(async () => 'inner', { name: 'inner', registry: false });
    await breaker.execute(() => inner());
    await breaker.execute(async () => 'x', { signal: new AbortController().signal });
    const withSignal = circuit(async (_signal: AbortSignal) => 'y', { name: 'signalled', registry: false, signal: (s) => s });
    await withSignal(new AbortController().signal);
    const served = circuit(async () => Promise.reject(new Error('down')), { name: 'served', registry: false, fallback: () => 'fallback' });
    await served();
    const starts = seen.filter(([event]) => event === 'start').map(([, name]) => name);
    const ends = seen.filter(([event]) => event === 'asyncEnd').map(([, name]) => name);
    expect(starts).toEqual(['outer', 'inner', 'outer', 'signalled', 'served']);
    expect(ends.sort()).toEqual(['inner', 'outer', 'outer', 'served', 'signalled']);
  });

  it('publishes nothing, and the call runs as ever, once its subscribers leave', async () => {
    calls.unsubscribe(subscribers);
    const get = circuit(async () => 'ok', { registry: false });
    expect(await get()).toBe('ok');
    expect(seen).toEqual([]);
    calls.subscribe(subscribers);
  });
});

describe('the circuitry:state channel', () => {
  it('publishes every change of state: open, half-open, closed', async () => {
    const changes: unknown[] = [];
    const onChange = (message: unknown): void => {
      changes.push(message);
    };
    diagnostics.subscribe('circuitry:state', onChange);
    try {
      const clock = manualClock();
      let fail = true;
      const get = circuit(async () => (fail ? Promise.reject(new Error('down')) : 'ok'), { name: 'users', registry: false, clock, failureThreshold: 1, recoveryTimeout: 1_000 });
      await get().catch(() => undefined);
      clock.advance(1_000);
      fail = false;
      await get();
      expect(changes).toEqual([
        { name: 'users', from: 'closed', to: 'open' },
        { name: 'users', from: 'open', to: 'half-open' },
        { name: 'users', from: 'half-open', to: 'closed' },
      ]);
    } finally {
      diagnostics.unsubscribe('circuitry:state', onChange);
    }
  });
});
