import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: {
    // Tests and examples import the package by its name, as users do; here it is the source.
    alias: [
      { find: /^circuitry\/redis$/, replacement: fileURLToPath(new URL('./src/redis.ts', import.meta.url)) },
      { find: /^circuitry\/store$/, replacement: fileURLToPath(new URL('./src/store.ts', import.meta.url)) },
      { find: /^circuitry\/http$/, replacement: fileURLToPath(new URL('./src/http.ts', import.meta.url)) },
      { find: /^circuitry\/opentelemetry$/, replacement: fileURLToPath(new URL('./src/opentelemetry.ts', import.meta.url)) },
      { find: /^circuitry\/prometheus$/, replacement: fileURLToPath(new URL('./src/prometheus.ts', import.meta.url)) },
      { find: /^circuitry$/, replacement: fileURLToPath(new URL('./src/index.ts', import.meta.url)) },
    ],
  },
  test: {
    include: ['test/**/*.test.ts'],
    // Tests wait for events, never for time; the limit only ends a hung test. Real Redis servers,
    // clusters and child processes start slowly on a loaded 2-core machine: 5 s timed some out.
    testTimeout: 15_000,
    environment: 'node',
  },
});
