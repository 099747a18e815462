// What the benchmark compares, and the targets from the benchmark issue. A ratio is
// numerator / denominator, taken within one round.
export const ratioSpecs = [
  { id: 'success', label: 'closed success: circuitry `circuit(f)` / bare `await f()`', numerator: 'success/circuitry', denominator: 'success/bare', chart: 'circuitry / bare' },
  { id: 'success-decorator', label: 'closed success: `@circuit` method / bare', numerator: 'success/circuitry-decorator', denominator: 'success/bare', chart: '@circuit / bare' },
  { id: 'success-listeners', label: 'closed success: circuitry with a `success` listener / bare', numerator: 'success/circuitry-listeners', denominator: 'success/bare' },
  { id: 'listener-cost', label: 'closed success: with a `success` listener / without', numerator: 'success/circuitry-listeners', denominator: 'success/circuitry' },
  { id: 'redis-success', label: 'closed success: circuitry with a Redis store / in memory', numerator: 'success/circuitry-redis', denominator: 'success/circuitry', chart: 'Redis store / in memory' },
  { id: 'opossum-success', label: 'closed success: opossum defaults / circuitry', numerator: 'success/opossum', denominator: 'success/circuitry', chart: 'opossum / circuitry' },
  { id: 'opossum-success-no-timeout', label: 'closed success: opossum `timeout: false` / circuitry', numerator: 'success/opossum-no-timeout', denominator: 'success/circuitry', chart: 'opossum (no timeout) / circuitry' },
  { id: 'cockatiel-success', label: 'closed success: cockatiel / circuitry', numerator: 'success/cockatiel', denominator: 'success/circuitry', chart: 'cockatiel / circuitry' },
  { id: 'retry', label: 'closed success: circuitry `retry(circuit(f))` / bare', numerator: 'success/circuitry-retry', denominator: 'success/bare' },
  { id: 'cockatiel-retry', label: 'closed success: cockatiel `wrap(retry, breaker)` / circuitry `retry(circuit(f))`', numerator: 'success/cockatiel-retry', denominator: 'success/circuitry-retry', chart: 'retry+breaker: cockatiel / circuitry' },
  { id: 'failure', label: 'closed failure: circuitry / bare', numerator: 'failure/circuitry', denominator: 'failure/bare' },
  { id: 'opossum-failure', label: 'closed failure: opossum `timeout: false` / circuitry', numerator: 'failure/opossum-no-timeout', denominator: 'failure/circuitry' },
  { id: 'cockatiel-failure', label: 'closed failure: cockatiel / circuitry', numerator: 'failure/cockatiel', denominator: 'failure/circuitry' },
  { id: 'opossum-open', label: 'open rejection: opossum / circuitry', numerator: 'open/opossum', denominator: 'open/circuitry', chart: 'open: opossum / circuitry' },
  { id: 'cockatiel-open', label: 'open rejection: cockatiel / circuitry', numerator: 'open/cockatiel', denominator: 'open/circuitry', chart: 'open: cockatiel / circuitry' },
  { id: 'fallback', label: 'open rejection into a fallback: circuitry / bare success', numerator: 'open/circuitry-fallback', denominator: 'success/bare', chart: 'open + fallback / bare success' },
  { id: 'opossum-fallback', label: 'open rejection into a fallback: opossum / circuitry', numerator: 'open/opossum-fallback', denominator: 'open/circuitry-fallback' },
  { id: 'cockatiel-fallback', label: 'open rejection into a fallback: cockatiel / circuitry', numerator: 'open/cockatiel-fallback', denominator: 'open/circuitry-fallback' },
  { id: 'policy-count-10', label: 'closed success: countWindow(10) / bare', numerator: 'policy/count-10', denominator: 'success/bare' },
  { id: 'policy-count-10000', label: 'closed success: countWindow(10,000) / bare', numerator: 'policy/count-10000', denominator: 'success/bare' },
  { id: 'policy-count-growth', label: 'countWindow: size 10,000 / size 10', numerator: 'policy/count-10000', denominator: 'policy/count-10' },
  { id: 'policy-time-10', label: 'closed success: timeWindow(10 buckets) / bare', numerator: 'policy/time-10', denominator: 'success/bare' },
  { id: 'policy-time-10000', label: 'closed success: timeWindow(10,000 buckets) / bare', numerator: 'policy/time-10000', denominator: 'success/bare' },
  { id: 'policy-time-growth', label: 'timeWindow: 10,000 buckets / 10 buckets', numerator: 'policy/time-10000', denominator: 'policy/time-10' },
  { id: 'sync', label: 'sync: `circuitSync(f)` / bare call', numerator: 'sync/circuitry', denominator: 'sync/bare', chart: 'circuitSync / bare' },
  { id: 'opossum-memory', label: 'memory per breaker: opossum / circuitry', numerator: 'memory/opossum', denominator: 'memory/circuitry', chart: 'memory: opossum / circuitry' },
  { id: 'cockatiel-memory', label: 'memory per breaker: cockatiel / circuitry', numerator: 'memory/cockatiel', denominator: 'memory/circuitry' },
];

const atMost = (limit) => ({ text: `≤ ${limit}×`, check: (x) => x <= limit });
const atLeast = (limit) => ({ text: `≥ ${limit}×`, check: (x) => x >= limit });
export const targets = {
  success: atMost(1.25),
  'redis-success': atMost(1.1),
  'opossum-success-no-timeout': atLeast(4),
  'cockatiel-success': atLeast(1.8),
  'opossum-open': atLeast(3),
  'cockatiel-open': atLeast(3),
  fallback: atMost(1.5),
  sync: atMost(3),
  'opossum-memory': atLeast(10),
  bundle: { text: '≤ 2,000 B', check: (bytes) => bytes <= 2000 },
};
