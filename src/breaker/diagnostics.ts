import type { CircuitState } from '../machine/machine.js';
import { currentState } from '../machine/machine.js';
import type { BreakerInternals } from './internals.js';

/** The part of `node:diagnostics_channel`'s `TracingChannel` the call paths use. */
interface CallChannel {
  readonly hasSubscribers: boolean;
  tracePromise(fn: (...args: unknown[]) => Promise<unknown>, context: object, self: unknown, ...args: unknown[]): Promise<unknown>;
  traceSync(fn: (...args: unknown[]) => unknown, context: object, self: unknown, ...args: unknown[]): unknown;
}

/** The part of `node:diagnostics_channel`'s `Channel` a change of state uses. */
interface StateChannel {
  readonly hasSubscribers: boolean;
  publish(message: unknown): void;
}

/**
 * The `circuitry:call` tracing channel, and the `circuitry:state` channel, once looked up;
 * undefined where the runtime has no `node:diagnostics_channel` reachable without an import.
 * Module state on the call path, on purpose (ARCHITECTURE.md, "Module state"): one lookup per
 * process, and a call nobody traces pays one read and one `hasSubscribers`.
 */
let callChannel: CallChannel | undefined;
let stateChannel: StateChannel | undefined;
let lookedUp = false;

/**
 * Finds the channels, the first time a function is guarded or a state changes. Never at load and never through an
 * `import`: circuitry loads where there is no Node built-in. `process.getBuiltinModule` arrived
 * in Node 20.16 and 22.3; where it is missing, nothing is published.
 */
export function lookUpChannels(): void {
  if (lookedUp) return;
  lookedUp = true;
  try {
    const dc = (globalThis as { process?: { getBuiltinModule?: (id: string) => any } }).process?.getBuiltinModule?.('node:diagnostics_channel');
    if (typeof dc?.tracingChannel !== 'function') return;
    const calls = dc.tracingChannel('circuitry:call');
    // TracingChannel#hasSubscribers arrived after the channel itself (Node 20.13): without it the
    // call path could not skip an unsubscribed channel for free, so nothing is published.
    if (typeof calls.hasSubscribers !== 'boolean') return;
    callChannel = calls;
    stateChannel = dc.channel('circuitry:state');
  } catch {
    // A runtime whose built-in misbehaves publishes nothing; the breaker works as ever.
  }
}

// Set by a traced call for the guarded function it runs next, so that it is not traced twice.
let entering = false;

/**
 * The call channel when a subscriber waits for the call beginning now; undefined otherwise, the
 * common case, at the cost of two reads (and `hasSubscribers`, where the channel exists).
 */
export function tracer(): CallChannel | undefined {
  if (entering) {
    entering = false;
    return undefined;
  }
  const calls = callChannel;
  return calls !== undefined && calls.hasSubscribers ? calls : undefined;
}

/** Lets the next guarded function run untraced: the caller traces it, or it is a call already traced. */
export function enterTraced(): void {
  entering = true;
}

/**
 * What `circuitry:call` subscribers receive as the context of a call: the breaker's name and the
 * state the call found. Never the call's arguments, which may carry secrets.
 */
function callContext(internals: BreakerInternals): { name: string; state: CircuitState } {
  return { name: internals.name, state: currentState(internals.machine, internals.now) };
}

/**
 * Runs a call of `guarded` under the `circuitry:call` tracing channel: `tracePromise` for the
 * asynchronous path, `traceSync` for the synchronous one.
 */
export function trace<R>(
  calls: CallChannel,
  how: 'tracePromise' | 'traceSync',
  guarded: (...args: unknown[]) => R,
  internals: BreakerInternals,
  self: unknown,
  args: unknown[],
): R {
  const run = function (this: unknown, ...callArgs: unknown[]): R {
    entering = true;
    return guarded.apply(this, callArgs);
  };
  return (calls as unknown as Record<typeof how, (fn: typeof run, context: object, self: unknown, ...args: unknown[]) => R>)[how](run, callContext(internals), self, ...args);
}

/** Publishes a change of state on `circuitry:state`, when anyone subscribes. */
export function publishState(name: string, from: CircuitState, to: CircuitState): void {
  lookUpChannels();
  if (stateChannel?.hasSubscribers) stateChannel.publish({ name, from, to });
}
