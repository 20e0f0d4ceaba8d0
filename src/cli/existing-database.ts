import type { Config } from '../config';
import { checkDatabase } from '../db/check-database';
import { dataDirHasDatabase } from '../startup/server-database';
import { CliError, EXIT } from './exit-codes';

/**
 * What a command run beside the server (backup, import-mlflow, storage migrate) checks before
 * `openServerDatabase`: a DATABASE_URL server that answers (a StartupFailure names why not), or a DATA_DIR that
 * holds the server's cluster. An empty DATA_DIR would otherwise get a new, empty database.
 */
export async function requireExistingDatabase(config: Config): Promise<void> {
  if (config.databaseUrl) return checkDatabase(config.databaseUrl);
  if (await dataDirHasDatabase(config.dataDir)) return;
  throw new CliError(
    `DATA_DIR ${config.dataDir} has no semreg database: set DATA_DIR to the server's (start the server once), or DATABASE_URL.`,
    EXIT.USAGE,
  );
}
