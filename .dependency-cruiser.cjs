/** Folder import rules for tarmac: see docs/architecture.md. Each subsystem may import only the ones listed. */
const allowed = {
  shared: [],
  config: ['shared'],
  model: ['shared'],
  store: ['shared', 'model'],
  runtime: ['shared', 'config'],
  iam: ['shared', 'config', 'model', 'store'],
  telemetry: ['shared', 'config', 'model', 'store'],
  registry: ['shared', 'config', 'model', 'store', 'iam', 'telemetry'],
  build: ['shared', 'config', 'model', 'store', 'iam', 'registry', 'runtime', 'telemetry'],
  serving: ['shared', 'config', 'model', 'store', 'iam', 'runtime', 'telemetry'],
  services: ['shared', 'config', 'model', 'store', 'iam', 'registry', 'telemetry'],
  scheduler: ['shared', 'config', 'model', 'store', 'iam', 'telemetry'],
  api: [
    'shared',
    'config',
    'model',
    'store',
    'iam',
    'registry',
    'build',
    'serving',
    'services',
    'scheduler',
    'runtime',
    'telemetry',
  ],
  client: ['shared', 'model'],
  cli: ['shared', 'config', 'model', 'client'],
  console: ['shared', 'model', 'client'],
  admin: ['shared', 'config', 'runtime'],
};

const rules = Object.entries(allowed).map(([from, to]) => ({
  name: `${from}-imports`,
  comment: `src/${from} may import only: ${to.join(', ') || 'nothing else in src'}`,
  severity: 'error',
  from: { path: `^src/${from}/` },
  to: { path: '^src/', pathNot: [`^src/(${[from, ...to].join('|')})/`] },
}));

module.exports = {
  forbidden: [
    ...rules,
    {
      name: 'no-circular',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'only-through-index',
      comment: 'Another subsystem is reached only through its index.ts',
      severity: 'error',
      from: { path: '^src/([^/]+)/' },
      to: { path: '^src/([^/]+)/.+', pathNot: ['^src/$1/', '^src/[^/]+/index\\.ts$'] },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    exclude: { path: '\\.test\\.ts$' },
    tsConfig: { fileName: 'tsconfig.json' },
  },
};
