import { defineConfig } from 'tsup';

export default defineConfig({
  entry: { index: 'src/index.ts', prometheus: 'src/prometheus.ts', redis: 'src/redis.ts' },
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  target: 'node20',
  sourcemap: false,
  treeshake: true,
  // circuitry/prometheus and circuitry/redis use the main entry point rather than a copy of it.
  external: ['circuitry'],
});
