/**
 * Type-checking is done once by `tsc --noEmit` in `npm test`; jest only transpiles.
 * test/deploy (the Dockerfile replay, minutes of npm ci) runs on its own: `npm run test:deploy`.
 */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/deploy/'],
  transform: { '^.+\\.ts$': ['ts-jest', { diagnostics: false }] },
  testTimeout: 30000,
};
