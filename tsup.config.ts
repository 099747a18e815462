import { defineConfig } from 'tsup';

export default defineConfig({
  entry: { index: 'src/index.ts', http: 'src/http.ts', opentelemetry: 'src/opentelemetry.ts', prometheus: 'src/prometheus.ts', redis: 'src/redis.ts', store: 'src/store.ts' },
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  target: 'node20',
  sourcemap: false,
  treeshake: true,
  // The adapters use the entry points by name rather than a copy of them.
  external: ['circuitry', 'circuitry/store'],
});
