// Mutation testing (`npm run test:mutation`): Stryker changes the code of the files below one
// mutant at a time and runs the tests that cover it (vitest.mutation.config.ts); a mutant no test
// notices is a behaviour no test states. docs/how-we-test.md lists the scores and the mutants
// that cannot be observed.
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  vitest: { configFile: 'vitest.mutation.config.ts', related: false },
  plugins: ['@stryker-mutator/vitest-runner'],
  mutate: [
    'src/machine/machine.ts',
    'src/policies/count-window.ts',
    'src/policies/time-window.ts',
    'src/policies/rate.ts',
    'src/breaker/outcomes.ts',
    'src/breaker/async-path.ts',
    'src/breaker/sync-path.ts',
    'src/store/record-rules.ts',
  ],
  coverageAnalysis: 'perTest',
  // The machine has two cores, shared.
  concurrency: 2,
  reporters: ['clear-text', 'progress', 'html'],
  htmlReporter: { fileName: '.tmp/mutation/index.html' },
  tempDirName: '.tmp/stryker',
  cleanTempDir: 'always',
  // 96.7 % now, with the equivalent mutants docs/how-we-test.md lists counted as survivors; below
  // 95 a change left behaviour untested, and CI (.ci/run) fails. The margin of 1.7 points keeps
  // a run that times out a mutant or two from failing.
  thresholds: { high: 97, low: 95, break: 95 },
};
