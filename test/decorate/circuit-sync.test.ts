import { describe, expect, it, vi } from 'vitest';
import { CircuitBreaker, CircuitOpenError, circuitSync } from 'circuitry';
import { manualClock } from '../helpers/manual-clock.js';

class ParseError extends Error {}

describe('circuitSync()', () => {
  it('stays synchronous: returns values and throws errors, CircuitOpenError included', () => {
    const clock = manualClock();
    let fail = false;
    const parse = circuitSync(
      (raw: string) => {
        if (fail) throw new ParseError(`bad: ${raw}`);
        return raw.length;
      },
      { failureThreshold: 2, recoveryTimeout: 100, clock },
    );
    expect(parse('abc')).toBe(3);
    fail = true;
    expect(() => parse('x')).toThrow(ParseError);
    expect(() => parse('x')).toThrow(ParseError);
    expect(parse.breaker.state).toBe('open');
    fail = false;
    expect(() => parse('x')).toThrow(CircuitOpenError);
    clock.advance(100);
    expect(parse('abcd')).toBe(4);
    expect(parse.breaker.state).toBe('closed');
  });

  it('serves counted failures and rejections from a sync fallback, and leaves other errors alone', () => {
    const fallback = vi.fn((_error: unknown, raw: string) => -raw.length);
    const parse = circuitSync(
      (raw: string): number => {
        if (raw === 'type') throw new TypeError('not counted');
        throw new ParseError('counted');
      },
      { failureThreshold: 1, expectedError: ParseError, fallback },
    );
    expect(() => parse('type')).toThrow(TypeError);
    expect(fallback).not.toHaveBeenCalled();
    expect(parse('abc')).toBe(-3);
    expect(parse.breaker.state).toBe('open');
    expect(parse('ab')).toBe(-2);
    expect(fallback.mock.calls[1]![0]).toBeInstanceOf(CircuitOpenError);
  });

  it('throws the fallback error with the original as cause', () => {
    const original = new ParseError('counted');
    const fallbackError = new Error('fallback failed');
    const parse = circuitSync(
      () => {
        throw original;
      },
      {
        fallback: () => {
          throw fallbackError;
        },
      },
    );
    expect(() => parse()).toThrow(fallbackError);
    expect(fallbackError.cause).toBe(original);
  });

  it('shares a breaker with async guards', () => {
    const breaker = new CircuitBreaker({ name: 'shared' });
    const read = circuitSync(() => 'value', breaker);
    breaker.open();
    expect(() => read()).toThrow('Circuit "shared" is open');
  });

  it('refuses an async function when wrapping it, naming it and pointing to circuit', () => {
    async function loadUser(): Promise<number> {
      throw new Error('down');
    }
    expect(() => circuitSync(loadUser as never)).toThrow(
      new TypeError('circuitSync cannot guard the async function "loadUser": it would count every promise as a success. Use circuit'),
    );
  });

  it('refuses an async method when the class is defined', () => {
    expect(() => {
      class Client {
        // @ts-expect-error: @circuitSync on an async method is a compile error too; this proves the run-time check
        @circuitSync async load(): Promise<number> {
          return 1;
        }
      }
      return Client;
    }).toThrow('circuitSync cannot guard the async function "load"');
  });

  it('never counts a returned promise as a success: the caller gets a TypeError, the outcome counts neither way', async () => {
    const unhandled = vi.fn();
    process.on('unhandledRejection', unhandled);
    try {
      const load = circuitSync((): unknown => Promise.reject(new Error('down')), { failureThreshold: 1 });
      for (let i = 0; i < 3; i++) {
        expect(() => load()).toThrow(new TypeError('circuitSync: the function returned a Promise, whose outcome a synchronous breaker cannot wait for; it was counted neither as a success nor as a failure. Use circuit'));
      }
      expect(load.breaker.stats()).toMatchObject({ successes: 0, failures: 0, state: 'closed' });
      await new Promise((resolve) => setTimeout(resolve, 10));
      expect(unhandled).not.toHaveBeenCalled();
    } finally {
      process.off('unhandledRejection', unhandled);
    }
  });

  it('takes other thenables as plain values: a lazy query builder is returned as it is, and counted a success', () => {
    const then = vi.fn();
    const query = { then, where: () => query };
    const build = circuitSync(() => query);
    expect(build()).toBe(query);
    expect(then).not.toHaveBeenCalled();
    expect(build.breaker.stats().successes).toBe(1);
  });
});
