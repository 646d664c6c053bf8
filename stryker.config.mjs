// StrykerJS settings shared by every module; scripts/mutation.mjs adds each module's files.
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  vitest: { configFile: 'test/mutation/vitest.config.ts' },
  checkers: ['typescript'],
  tsconfigFile: 'tsconfig.json',
  typescriptChecker: { prioritizePerformanceOverAccuracy: true },
  coverageAnalysis: 'perTest',
  // Reruns only the mutants whose code or tests changed since the committed results.
  incremental: true,
  // The development machine has 2 cores shared by several engineers.
  concurrency: 1,
  timeoutMS: 60_000,
  reporters: ['clear-text', 'progress', 'html', 'json'],
  thresholds: { high: 80, low: 60, break: null },
  ignorePatterns: [
    'dist',
    'web',
    'docker',
    'bench',
    'docs',
    'tools',
    '.brownian',
    'reports',
    'coverage',
    'test-artifacts',
  ],
  tempDirName: '.stryker-tmp',
  cleanTempDir: 'always',
};
