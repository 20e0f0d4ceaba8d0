import fs from 'node:fs/promises';
import path from 'node:path';
import type { Config } from '../config';
import { LOCATION_FILE } from '../db/cluster-location';
import { startEmbeddedPostgres } from '../db/embedded-postgres';
import { ensureDatabase } from '../db/ensure-database';
import { createDb, Db } from '../db/knex';
import { lockDataDir } from './data-dir-lock';

/**
 * Whether DATA_DIR holds a server's embedded cluster (in place, or elsewhere as its location file records):
 * the commands run beside the server refuse one without, which `openServerDatabase` would give a new, empty
 * database.
 */
export async function dataDirHasDatabase(dataDir: string): Promise<boolean> {
  const exists = (file: string) =>
    fs.access(path.join(dataDir, file)).then(
      () => true,
      () => false,
    );
  return (await exists(path.join('postgres', 'PG_VERSION'))) || (await exists(LOCATION_FILE));
}

export interface ServerDatabase {
  readonly db: Db;
  close(): Promise<void>;
}

/**
 * The server's database, for a command run beside it (`npm run token`, `semreg storage migrate`):
 * DATABASE_URL, else DATA_DIR's embedded PostgreSQL. A running `npm start` holds DATA_DIR's lock and its
 * server is reused; otherwise the command starts the cluster and holds the lock while it runs, so a server
 * started meanwhile is refused instead of losing its database when the command stops the cluster.
 */
export async function openServerDatabase(config: Config, poolSize: number): Promise<ServerDatabase> {
  if (config.databaseUrl) {
    const db = createDb(config.databaseUrl, poolSize);
    return { db, close: () => db.destroy() };
  }
  const unlock = await lockDataDir(config.dataDir).catch(() => undefined);
  try {
    const embedded = await startEmbeddedPostgres(config.dataDir, undefined, {
      clusterRoot: config.embeddedPostgresRoot,
    });
    const db = createDb(await ensureDatabase(embedded.url, 'semreg'), poolSize);
    return {
      db,
      close: async () => {
        await db.destroy();
        await embedded.stop();
        await unlock?.();
      },
    };
  } catch (err) {
    await unlock?.();
    throw err;
  }
}
