// The layers of src/, lowest first: a file may import its own layer and the layers below it,
// never one above (ARCHITECTURE.md draws them). `check` is the floor every layer may stand on.
const LAYERS = ['machine', 'policies', 'breaker', 'deadline', 'decorate', 'resilience', 'store'];
const INTERNAL = `^src/(${LAYERS.join('|')})/`;

const upward = LAYERS.map((layer, i) => ({
  name: `no-upward-from-${layer}`,
  comment: `${layer}/ may import only ${['check', ...LAYERS.slice(0, i + 1)].join(', ')}: it sits below ${LAYERS.slice(i + 1).join(', ') || 'the entry points and adapters'}`,
  severity: 'error',
  from: { path: `^src/${layer}/` },
  to: { path: '^src/', pathNot: `^src/(check|${LAYERS.slice(0, i + 1).join('|')})/` },
}));

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'An import cycle (type-only imports count) means two files cannot be read apart.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'machine-imports-nothing',
      comment: 'The state machine knows nothing else of src: no checking, no breaker, no store.',
      severity: 'error',
      from: { path: '^src/machine/' },
      to: { path: '^src/', pathNot: '^src/machine/' },
    },
    {
      name: 'check-imports-nothing',
      comment: 'The checking module is the floor: every layer may use it, so it may use none.',
      severity: 'error',
      from: { path: '^src/check/' },
      to: { path: '^src/', pathNot: '^src/check/' },
    },
    ...upward,
    {
      name: 'store-uses-the-store-seam',
      comment: 'The shared store reaches a breaker through the seam a store is given (store-link, attached-breaker, store-side), never its other insides.',
      severity: 'error',
      from: { path: '^src/store/' },
      to: { path: '^src/(machine|policies|breaker|deadline|decorate|resilience)/', pathNot: '^src/breaker/(store-link|attached-breaker|store-side|errors)\\.ts$' },
    },
    {
      name: 'adapters-use-public-entry-points',
      comment: 'Adapters reach the breaker as users do: through circuitry or circuitry/store, never its internals.',
      severity: 'error',
      from: { path: '^src/adapters/' },
      to: { path: INTERNAL },
    },
    {
      name: 'no-entry-point-imports-inside',
      comment: 'Layers import each other by path; only adapters import the package entry points.',
      severity: 'error',
      from: { path: INTERNAL },
      to: { path: '^src/[^/]+\\.ts$' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    includeOnly: '^src/',
  },
};
