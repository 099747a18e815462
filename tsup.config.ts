import { defineConfig } from 'tsup';

export default defineConfig({
  entry: { index: 'src/index.ts', prometheus: 'src/prometheus.ts' },
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  target: 'node20',
  sourcemap: false,
  treeshake: true,
  // circuitry/prometheus uses the main entry point rather than a copy of it.
  external: ['circuitry'],
});
