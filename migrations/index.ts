import type { Knex } from 'knex';
import * as registry from './001_registry';
import * as tracking from './002_tracking';
import * as storedFiles from './003_stored_files';
import * as tokens from './004_tokens';
import * as ciRuns from './005_ci_runs';
import * as packages from './006_packages';
import * as lifecycle from './007_lifecycle';
import * as packageOwnership from './008_package_ownership';
import * as searchIndexes from './009_search_indexes';
import * as importLedger from './010_import_ledger';
import * as loggedModelMetrics from './011_logged_model_metrics';
import * as highestRelease from './012_highest_release';

/**
 * The migration list, in order. Listing them explicitly (instead of letting knex scan a folder) makes them
 * load the same way under tsx, ts-jest and compiled JavaScript. Never edit a migration after it lands:
 * add a new one.
 */
interface Migration {
  up(knex: Knex): Promise<void>;
  down(knex: Knex): Promise<void>;
}

export const migrations: ReadonlyArray<readonly [string, Migration]> = [
  ['001_registry', registry],
  ['002_tracking', tracking],
  ['003_stored_files', storedFiles],
  ['004_tokens', tokens],
  ['005_ci_runs', ciRuns],
  ['006_packages', packages],
  ['007_lifecycle', lifecycle],
  ['008_package_ownership', packageOwnership],
  ['009_search_indexes', searchIndexes],
  ['010_import_ledger', importLedger],
  ['011_logged_model_metrics', loggedModelMetrics],
  ['012_highest_release', highestRelease],
];
