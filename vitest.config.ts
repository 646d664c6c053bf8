import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: {
    // graphql 16 ships CJS and ESM builds without an exports map. Under the test runner the
    // dependencies (Apollo, type-graphql) load the CJS build while sources would get the ESM one:
    // schema objects from two "realms". Sources are pointed at the same CJS build.
    alias: [{ find: /^graphql$/, replacement: 'graphql/index.js' }],
  },
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/globalServers.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Workers the tests start run at normal priority: on a busy CI machine a niced worker would wait
    // behind the test runner's own processes. Tests that check the priority set it themselves.
    env: { BROWNIAN_WORKER_NICE: '0' },
  },
});
