/** Two projects: unit tests of pure code (parallel) and integration tests
 * against the real stack (Temporal dev server, Azurite, HTTPS emulator), run
 * serially because two cores cannot host several stacks at once. */
// Type errors are tsc's and lint's job (npm run typecheck); jest only transpiles.
const tsJest = ['ts-jest', { diagnostics: false }];

/** @type {import('jest').Config} */
module.exports = {
  testSequencer: '<rootDir>/test/harness/sequencer.js',
  projects: [
    {
      displayName: 'unit',
      testEnvironment: 'node',
      roots: ['<rootDir>/test/unit'],
      testMatch: ['**/*.test.ts'],
      transform: { '^.+\\.ts$': tsJest },
    },
    {
      displayName: 'integration',
      testEnvironment: 'node',
      roots: ['<rootDir>/test/integration'],
      testMatch: ['**/*.test.ts'],
      transform: { '^.+\\.ts$': tsJest },
      globalSetup: '<rootDir>/test/harness/global-setup.ts',
      globalTeardown: '<rootDir>/test/harness/global-teardown.ts',
      setupFiles: ['<rootDir>/test/harness/setup-runtime.ts'],
      slowTestThreshold: 60,
    },
  ],
};
