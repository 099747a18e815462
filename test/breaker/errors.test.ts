import { describe, expect, it } from 'vitest';
import { CircuitIsolatedError, CircuitOpenError, TimeoutError, isCircuitOpenError } from 'circuitry';

describe('CircuitOpenError', () => {
  it('is an Error that names the breaker and says when a trial is allowed', () => {
    const cause = new Error('503 from partner');
    const error = new CircuitOpenError('users-api', 1234.2, 'open', cause);
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('CircuitOpenError');
    expect(error.message).toBe('Circuit "users-api" is open; a trial call will be allowed in 1235 ms');
    expect(error.breakerName).toBe('users-api');
    expect(error.retryAfter).toBe(1234.2);
    expect(error.cause).toBe(cause);
    expect(String(error)).toBe('CircuitOpenError: Circuit "users-api" is open; a trial call will be allowed in 1235 ms');
  });

  it('has a stable code, as the other errors do, that is not an own property of each error', () => {
    const open = new CircuitOpenError('a', 10);
    expect(open.code).toBe('CIRCUITRY_OPEN');
    expect(new CircuitIsolatedError('a').code).toBe('CIRCUITRY_ISOLATED');
    expect(new TimeoutError('call to "a"', 5).code).toBe('CIRCUITRY_TIMEOUT');
    expect(Object.keys(open)).not.toContain('code');
  });

  it('carries no stack frames, and leaves Error.stackTraceLimit as it was', () => {
    const before = Error.stackTraceLimit;
    const error = new CircuitOpenError('users-api', 10);
    expect(error.stack).toBe(`CircuitOpenError: ${error.message}`);
    expect(Error.stackTraceLimit).toBe(before);
    expect(new Error('x').stack).toContain('errors.test.ts');
  });

  it('says so when all half-open trial slots are busy', () => {
    const error = new CircuitOpenError('users-api', 800, 'half-open');
    expect(error.state).toBe('half-open');
    expect(error.message).toContain('is half-open and its trial calls are all in flight');
    expect(error.message).toContain('800 ms at the latest');
    expect('cause' in error).toBe(false);
  });

  it('is recognised across two loaded copies of the library', async () => {
    // A query makes the module loader treat the same file as a second, separate module.
    const secondCopy: string = '../../src/breaker/errors.ts?second-copy';
    const copy = (await import(secondCopy)) as typeof import('../../src/breaker/errors.js');
    expect(copy.CircuitOpenError).not.toBe(CircuitOpenError);
    const foreign = new copy.CircuitOpenError('other', 5);
    expect(foreign instanceof CircuitOpenError).toBe(false);
    expect(isCircuitOpenError(foreign)).toBe(true);
    expect(copy.isCircuitOpenError(new CircuitOpenError('ours', 5))).toBe(true);
  });

  it('is not fooled by look-alikes', () => {
    expect(isCircuitOpenError(new Error('Circuit is open'))).toBe(false);
    expect(isCircuitOpenError({ name: 'CircuitOpenError', retryAfter: 1 })).toBe(false);
    expect(isCircuitOpenError(null)).toBe(false);
    expect(isCircuitOpenError('CircuitOpenError')).toBe(false);
  });
});
