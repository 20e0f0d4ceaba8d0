/**
 * `npm run test:faults`: the fault suite starts real semreg processes (and PostgreSQL instances it stops
 * on purpose), so it runs alone, one file at a time, with long timeouts — outside `npm test`.
 */
const base = require('./jest.config.js');

module.exports = {
  ...base,
  roots: ['<rootDir>/test/faults'],
  testMatch: ['**/*.test.ts'],
  testPathIgnorePatterns: [],
  testTimeout: 600000,
  maxWorkers: 1,
};
