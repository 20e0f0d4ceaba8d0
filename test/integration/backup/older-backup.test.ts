import type { Knex } from 'knex';
import { migrations } from '../../../migrations';
import { createDb, Db } from '../../../src/db/knex';
import { migrateToLatest, pendingMigrations } from '../../../src/db/migrate';
import { runSemreg } from '../../helpers/cli';
import { freshDatabaseUrl, makeDataDir } from '../../helpers/server-process';
import { newBackupDir } from './support';

/**
 * A backup restores to exactly the schema it was taken at, on a DATABASE_URL server too: a backup of an
 * older semreg is rebuilt at its own migration, and the newer migrations run over the restored rows at the
 * next start, as they would have on the original.
 */
jest.setTimeout(120_000);

/** Only the migrations before the newest: the schema of the previous semreg. */
const olderSource: Knex.MigrationSource<string> = {
  getMigrations: async () => migrations.slice(0, -1).map(([name]) => name),
  getMigrationName: (name) => name,
  getMigration: async (name) => migrations.find(([candidate]) => candidate === name)![1],
};

const applied = async (db: Db): Promise<string[]> =>
  ((await db('knex_migrations').select('name').orderBy('id')) as { name: string }[]).map((r) => r.name);

describe('semreg restore of a backup taken at an older migration', () => {
  const opened: Db[] = [];
  afterAll(() => Promise.all(opened.map((db) => db.destroy())));

  it('rebuilds that schema, and the next start migrates the restored rows', async () => {
    const sourceUrl = await freshDatabaseUrl();
    const source = createDb(sourceUrl, 2);
    opened.push(source);
    await source.migrate.latest({ migrationSource: olderSource });
    await source('registered_models').insert({
      name: 'older',
      creation_timestamp: 1,
      last_updated_timestamp: 1,
    });
    const backupDir = newBackupDir();
    const made = await runSemreg(['backup', backupDir], { DATABASE_URL: sourceUrl, DATA_DIR: makeDataDir() });
    expect(made.stderr).not.toMatch(/semreg:/);
    expect(made.code).toBe(0);

    const targetUrl = await freshDatabaseUrl();
    const done = await runSemreg(['restore', backupDir], {
      DATABASE_URL: targetUrl,
      DATA_DIR: makeDataDir(),
    });
    expect(done.stderr).not.toMatch(/semreg:/);
    expect(done.code).toBe(0);
    const target = createDb(targetUrl, 2);
    opened.push(target);
    expect(await applied(target)).toEqual(migrations.slice(0, -1).map(([name]) => name));
    expect(await pendingMigrations(target)).toEqual([migrations.at(-1)![0]]);

    await migrateToLatest(target);
    expect(await applied(target)).toEqual(migrations.map(([name]) => name));
    expect(await target('registered_models').pluck('name')).toEqual(['older']);
    // The default experiment the first migration inserts is the backup's row, not a second one.
    expect(await target('experiments').count({ n: '*' })).toEqual([{ n: 1 }]);
  });
});
