import { ensureDatabase } from '../../src/db/ensure-database';
import { createDb } from '../../src/db/knex';
import { migrateToLatest, rollbackAll } from '../../src/db/migrate';
import { migrations } from '../../migrations';

describe('migrations', () => {
  it('go up, all the way down, and up again on an empty database', async () => {
    const url = await ensureDatabase(process.env.TEST_DATABASE_URL!, `m_${Date.now().toString(36)}`);
    const db = createDb(url, 2);
    try {
      await migrateToLatest(db);
      const tables = async () =>
        (await db('pg_tables').where({ schemaname: 'public' }).pluck('tablename'))
          .filter((name: string) => !name.startsWith('knex_'))
          .sort();
      const first = await tables();
      expect(first).toEqual(expect.arrayContaining(['registered_models', 'model_versions']));
      await rollbackAll(db);
      expect(await tables()).toEqual([]);
      await migrateToLatest(db);
      expect(await tables()).toEqual(first);
      const applied = await db('knex_migrations').pluck('name');
      expect(applied).toEqual(migrations.map(([name]) => name));
    } finally {
      await db.destroy();
    }
  });
});
