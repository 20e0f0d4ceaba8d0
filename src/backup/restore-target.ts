import fs from 'node:fs/promises';
import type { Config } from '../config';
import { checkDatabase } from '../db/check-database';
import { startEmbeddedPostgres } from '../db/embedded-postgres';
import { ensureDatabase } from '../db/ensure-database';
import { createDb, Db } from '../db/knex';
import { lockDataDir } from '../startup/data-dir-lock';
import { StartupFailure } from '../startup/startup-failure';
import { BackupError } from './backup-error';

export interface RestoreTarget {
  readonly db: Db;
  /** How messages name the target: the DATA_DIR or the database, never a password. */
  readonly where: string;
  close(): Promise<void>;
}

const unavailable = (err: unknown): never => {
  if (err instanceof StartupFailure) throw new BackupError(err.message, 'unavailable', { cause: err });
  throw err;
};

/**
 * The database restore writes into. Unlike a backup, a restore never runs beside a server: with the embedded
 * PostgreSQL it must hold DATA_DIR's lock (a server started meanwhile is refused), and it creates the
 * cluster when DATA_DIR has none yet — the usual target is a brand-new DATA_DIR.
 */
export async function openRestoreTarget(config: Config): Promise<RestoreTarget> {
  if (config.databaseUrl) {
    await checkDatabase(config.databaseUrl).catch(unavailable);
    const db = createDb(config.databaseUrl, 2);
    const url = new URL(config.databaseUrl);
    return { db, where: `${url.username}@${url.host}${url.pathname}`, close: () => db.destroy() };
  }
  const dataDir = config.dataDir;
  await fs.mkdir(dataDir, { recursive: true, mode: 0o755 });
  const unlock = await lockDataDir(dataDir).catch((err: unknown) => {
    if (err instanceof StartupFailure)
      throw new BackupError(
        `${err.message.split(':')[0]}: stop it before restoring into DATA_DIR ${dataDir}`,
        'refused',
      );
    throw err;
  });
  try {
    const embedded = await startEmbeddedPostgres(dataDir, undefined, {
      clusterRoot: config.embeddedPostgresRoot,
    }).catch(unavailable);
    const db = createDb(await ensureDatabase(embedded.url, 'semreg'), 2);
    return {
      db,
      where: `in DATA_DIR ${dataDir}`,
      close: async () => {
        await db.destroy();
        await embedded.stop();
        await unlock();
      },
    };
  } catch (err) {
    await unlock();
    throw err;
  }
}
