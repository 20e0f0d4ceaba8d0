/**
 * Integration tests run against a real embedded PostgreSQL and a real SeaweedFS, both started once per jest
 * run (test/helpers/global-setup.ts). Two projects: `local` is every test with files on local disk; `s3`
 * runs the tests of everything that stores or serves files a second time with the S3 store
 * (SEMREG_TEST_STORE=s3: each test app gets a bucket of its own).
 */
const transform = { '^.+\\.ts$': ['ts-jest', { tsconfig: { module: 'commonjs', isolatedModules: true } }] };

/** The tests that exercise storage through the HTTP API: they must hold on both stores. */
const STORAGE_TESTS = [
  '<rootDir>/test/integration/artifacts/**/*.test.ts',
  '<rootDir>/test/integration/packages/**/*.test.ts',
  '<rootDir>/test/integration/tracking/logged-models.test.ts',
  '<rootDir>/test/integration/lifecycle/cli.test.ts',
  '<rootDir>/test/security/package-ownership.test.ts',
  '<rootDir>/test/security/cross-model-reads.test.ts',
];

module.exports = {
  globalSetup: '<rootDir>/test/helpers/global-setup.ts',
  globalTeardown: '<rootDir>/test/helpers/global-teardown.ts',
  maxWorkers: 2,
  testTimeout: 60000,
  projects: [
    {
      displayName: 'local',
      testEnvironment: 'node',
      roots: ['<rootDir>/test', '<rootDir>/src'],
      testMatch: ['**/*.test.ts'],
      // The fault suite starts real server processes and runs alone: `npm run test:faults` (jest.faults.config.js).
      testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/faults/'],
      transform,
    },
    {
      displayName: 's3',
      testEnvironment: 'node',
      testMatch: STORAGE_TESTS,
      setupFiles: ['<rootDir>/test/helpers/use-s3-store.ts'],
      transform,
    },
  ],
};
