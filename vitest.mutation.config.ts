// The tests Stryker runs against each mutant (stryker.config.mjs): those that exercise the
// machine, the policies, the call paths and the store's record rules, from source, in memory.
// Left out: the built package in a child process (test/breaker/process.test.ts sees no mutant),
// real Redis, and the fleet simulation and fuzzers (seconds per mutant; `npm test` runs them).
import { defineConfig } from 'vitest/config';
import base from './vitest.config.js';

export default defineConfig({
  // The same aliases (the package's names lead to src/); the test list replaces the base one,
  // which mergeConfig would append to.
  resolve: base.resolve,
  test: {
    environment: 'node',
    include: [
      'test/machine/**/*.test.ts',
      'test/policies/**/*.test.ts',
      'test/breaker/**/*.test.ts',
      'test/decorate/**/*.test.ts',
      'test/deadline/**/*.test.ts',
      'test/resilience/**/*.test.ts',
      'test/prove/model-based.test.ts',
      'test/prove/hostile-input.test.ts',
      'test/peers/**/*.test.ts',
      'test/store/record-rules.test.ts',
      'test/store/shared-store.test.ts',
      'test/store/outages.test.ts',
    ],
    exclude: ['test/breaker/process.test.ts'],
  },
});
