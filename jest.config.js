/**
 * Type-checking is done once by `tsc --noEmit` in `npm test`; jest only transpiles.
 * test/deploy (the Dockerfile replay, minutes of npm ci) runs on its own: `npm run test:deploy`.
 * The environment is jest's node one plus a leak guard: a test file that leaves a server, process,
 * sshd or temp dir it started still running fails, and what it left is stopped so jest exits
 * (test/helpers/leak-guard-environment.ts).
 */
module.exports = {
  testEnvironment: '<rootDir>/test/helpers/leak-guard-environment.ts',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/deploy/'],
  transform: { '^.+\\.ts$': ['ts-jest', { diagnostics: false }] },
  testTimeout: 30000,
};
