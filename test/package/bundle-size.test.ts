import { build } from 'esbuild';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));

// The benchmark issue asks for less than opossum's 4,575 B (cockatiel's breaker alone: 2,762 B),
// and it is not met. It was 7,411 B before the restructure and 7,871 B after it; registering
// derived-name breakers with the place they were made (a reload takes its name over, a clash is
// listed apart) brought it to 8,482 B, and the one decorator engine that refuses misuse (an async
// function under circuitSync, a promise counted as a success) to 8,622 B, and making a bare standard
// decorator's breaker with the first instance (listed before any call) to 8,645 B, and two fixes
// to 8,810 B: callSignal() for a circuit without a timeout (~120 B) and refusing a window's
// slowCallRate without slowCallDuration (~45 B), and a stable `code` on the three errors to
// 8,866 B. What each kilobyte
// costs, by module (esbuild's metafile, minified, about 2.9 bytes minified per byte gzipped): the
// state machine ~1 kB; the decorator engine, decorator-call detection and function identity (both
// decorator standards and reflect-metadata carry-over, which `circuit` brings because it is one
// name for wrapper and decorator) ~1 kB; the CircuitBreaker class (~0.75 kB), whose rarely used
// methods (configure, toJSON, stats, isolate, disable/enable, on) cannot be tree-shaken; option
// checks with messages that name the option and value ~1.4 kB; the call path and outcome counting
// ~0.9 kB; the registry's reload and clash rules ~0.7 kB; errors ~0.4 kB; per-breaker internals
// (a clock and policy that cannot throw into a call) ~0.5 kB; the `timeout` option's deadline and
// callSignal ~0.3 kB; listeners, transitions, fallback and store link ~0.6 kB together.
// The shared store itself, window policies, backoff helpers, restoreBreaker, retry, pipe and the
// Prometheus renderer tree-shake away when unused.
// Issue 20 (one word per concept) left it at 8,891 B, 25 B over 8,866 B: `consecutiveFailures`,
// `openPeriod` and `trialLapse` are property names a minifier keeps, and a reader can follow them.
const BASE = 8_891;
// From then on the ceiling rises only by a budget per feature, each with its reason. A new option
// of the call path may cost what it must; wrappers, exporters and store transports, which users
// import by name, add nothing to `{ circuit }` (they tree-shake away), so they have no line here.
// Lower BASE freely when the bundle shrinks.
const BUDGETS: Record<string, number> = {
  // outcomes.ts: a full bulkhead inside a circuit is neither success nor failure (read safely).
  bulkheadRefusalNotCounted: 44,
  // Issue 21 item 2, open for as long as the dependency says: `openPeriodOf` read per counted
  // failure (contained when it throws or returns nonsense), kept within `minOpenPeriod` and
  // `maxOpenPeriod` (four option names and two checks), `open({ for })` checked, the machine's
  // `openFor` entry, and an open kept in its process hidden from a store. Measured ~335 B; over
  // the ~150 B aimed at because the bounds and the local/shared choice are the feature's point.
  openPeriodOf: 335,
  // Issue 21 item 3, trials judged by a sample: the `trials` option checked (three fields, two
  // rates, the conflicts with successThreshold and halfOpenMaxCalls) and the half-open phase's
  // failure and slow-trial counts with the rates applied, and retryAfter counting the sample's places. Measured ~355 B; `rate()` comes from
  // policies/rate.ts so its message matches the windows'.
  trialSample: 355,
  // Issue 21 item 6, shadow mode: one branch off the admission path (never on the closed path),
  // the `shadow` flag and `stats().shadow`/`wouldReject`. Measured ~70 B.
  shadow: 70,
  // Issue 21 item 1, cancellation from the caller, budget 600 B (measured ~550 B): the cancellable
  // call path (an abort lets the caller go at once, the call is judged when it settles, a trial
  // keeps its slot), checking and picking the `signal` option, the aborted outcome and
  // `execute(fn, { signal })`. A call without a signal takes the path it took before. Item 8,
  // side-effect-free reads (state, retryAfter and stats() change nothing), ~40 B of it.
  callerCancellation: 600,
  // Issue 22, see every breaker, the call-path part, measured 594 B: `measureDurations` checked
  // (true, false, { sampleRate }) and one call in N timed with its weight on four events, durations
  // from performance.now() under the default clock; the `circuitry:call` tracing channel and the
  // `circuitry:state` channel, looked up once through process.getBuiltinModule (no import, so
  // runtimes without Node built-ins load as before), a subscriber check at the start of each
  // guarded function (async, sync, and their signal paths) and the traced path behind it.
  observability: 600,
  // Issue 23 item 5, a ramp after an outage, budget 300 B (measured 297 B): the `ramp` option
  // checked (duration, minShare), a close from half-open or from a store starting it, the share
  // of the moment and its evenly spread admissions on a closed phase that carries a ramp (one
  // read added to the closed path), a ramp's start moved by a clock stepping back, `retryAfter`
  // for a call coming alone, CircuitRampError and `stats().rampShare`. Envoy's `aggression` was
  // left out for its ~60 B.
  ramp: 300,
  // What the model-based test found once it generated trials, measured 30 B:
  // configure() checks the options it makes rather than the change alone (~3 B), and configure()
  // and a restore judge a half-open circuit's trials so far by the new settings (~27 B), so a
  // sample made smaller than the trials it has judged no longer refuses every call for good.
  trialsJudgedOnConfigure: 30,
  // cockatiel's `execute(fn, signal)` refused with a TypeError: a signal has no own keys, so plain
  // JS would pass it as empty options and cancel nothing. Measured 35 B (the message is most of it).
  executeSignalForm: 40,
};
const CEILING = BASE + Object.values(BUDGETS).reduce((sum, bytes) => sum + bytes, 0);

it(`import { circuit } bundles to at most ${CEILING} bytes minified and gzipped`, async () => {
  expect(existsSync(`${root}dist/index.js`), 'run `npm run build` first (npm test does)').toBe(true);
  const result = await build({
    stdin: { contents: "import { circuit } from './dist/index.js'; console.log(circuit);", resolveDir: root, loader: 'js' },
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'node',
    write: false,
    logLevel: 'silent',
  });
  const bytes = gzipSync(result.outputFiles[0]!.contents, { level: 9 }).length;
  expect(bytes).toBeLessThanOrEqual(CEILING);
  // A bundle this small would mean tree-shaking dropped the guard itself.
  expect(bytes).toBeGreaterThan(1_000);
});
