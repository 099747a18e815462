// How a wrapped function leads to the state of each stateful wrapper around it (a bulkhead's),
// through whatever other wrappers are stacked on it.

/** Where a wrapped function or method keeps the way to each wrapper's state, by the wrapper's name. */
const STATE_OF = Symbol('circuitry.stateOf');

type StateLookups = Readonly<Record<string, (self: unknown) => unknown>>;

/**
 * The state of wrapper `api` behind a wrapped function or method, given the instance a method
 * is called on; undefined when `fn` has none.
 */
export function lookupState(fn: unknown, api: string, self: unknown): unknown {
  const lookups = typeof fn === 'function' ? (fn as { [STATE_OF]?: StateLookups })[STATE_OF] : undefined;
  return lookups?.[api]?.(self);
}

/**
 * Lets `wrapper` lead to the states `original` leads to, besides its own: `retry`, `timeout` and
 * stateful wrappers call it, so `bulkheadOf` sees through them. A circuit's wrapper does not:
 * `keepIdentity` carries only the way to a breaker, and `{ circuit }` must not pay for more.
 */
export function carryStates(wrapper: Function, original: Function, own?: StateLookups): void {
  const inner = (original as { [STATE_OF]?: StateLookups })[STATE_OF];
  if (inner === undefined && own === undefined) return;
  Object.defineProperty(wrapper, STATE_OF, { value: { ...inner, ...own }, configurable: true });
}
