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
});
