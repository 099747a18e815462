// The smoke test runs where no test framework does (a browser page, a worker): plain checks
// that throw with what was expected and what came.

export function eq(actual, expected, what) {
  const a = JSON.stringify(actual);
  const e = JSON.stringify(expected);
  if (a !== e) throw new Error(`${what}: expected ${e}, got ${a}`);
}

export function ok(value, what) {
  if (!value) throw new Error(`${what}: expected true, got ${JSON.stringify(value)}`);
}

/** The error `promise` rejects with; fails if it resolves. */
export async function rejection(promise, what) {
  try {
    const value = await promise;
    throw Object.assign(new Error(`${what}: expected a rejection, got ${JSON.stringify(value)}`), { resolved: true });
  } catch (error) {
    if (error?.resolved) throw error;
    return error;
  }
}

/** The error `fn` throws; fails if it returns. */
export function thrown(fn, what) {
  try {
    const value = fn();
    throw Object.assign(new Error(`${what}: expected a throw, got ${JSON.stringify(value)}`), { returned: true });
  } catch (error) {
    if (error?.returned) throw error;
    return error;
  }
}
