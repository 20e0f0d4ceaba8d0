/**
 * `npm run test:faults`: the fault suite starts real semreg processes (and PostgreSQL or SeaweedFS instances
 * it stops on purpose), so it runs alone, one file at a time, with long timeouts, after the jest suite and
 * before the compat suite in `npm test`. The same global setup as the jest suite (one PostgreSQL, one
 * SeaweedFS).
 */
const base = require('./jest.config.js');

module.exports = {
  globalSetup: base.globalSetup,
  globalTeardown: base.globalTeardown,
  testEnvironment: 'node',
  transform: base.projects[0].transform,
  roots: ['<rootDir>/test/faults'],
  testMatch: ['**/*.test.ts'],
  testTimeout: 600000,
  maxWorkers: 1,
};
