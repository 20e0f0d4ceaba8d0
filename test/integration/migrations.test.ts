import { ensureDatabase } from '../../src/db/ensure-database';
import { createDb } from '../../src/db/knex';
import { migrateToLatest, rollbackAll } from '../../src/db/migrate';
import { migrations } from '../../migrations';
import * as loggedModelMetrics from '../../migrations/011_logged_model_metrics';

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

  it('011 keeps one history point per (key, step, timestamp, value) and moves model links to logged_model_metrics', async () => {
    const url = await ensureDatabase(process.env.TEST_DATABASE_URL!, `m11_${Date.now().toString(36)}`);
    const db = createDb(url, 2);
    try {
      await migrateToLatest(db);
      await loggedModelMetrics.down(db);
      const run = 'abcdefabcdefabcdefabcdefabcdef11';
      const model = 'm-abcdefabcdefabcdefabcdefabcdef11';
      await db('runs').insert({ run_uuid: run, experiment_id: 0, name: 'r', start_time: 1 });
      const point = { run_uuid: run, key: 'acc', timestamp: 10, step: 0 };
      // As 002 stored them: a point, the same point relogged by log_model, a NaN twice, and a later point.
      await db('metrics').insert([
        { ...point, value: 0.5 },
        { ...point, value: 0.5, model_id: model, dataset_name: 'eval', dataset_digest: 'd1' },
        { ...point, key: 'loss', value: Number.NaN },
        { ...point, key: 'loss', value: Number.NaN, model_id: model },
        { ...point, step: 1, timestamp: 20, value: 0.7 },
      ]);
      await loggedModelMetrics.up(db);
      const history = await db('metrics')
        .where({ run_uuid: run })
        .orderBy(['key', 'step'])
        .select('key', 'step', 'value');
      expect(history).toEqual([
        { key: 'acc', step: 0, value: 0.5 },
        { key: 'acc', step: 1, value: 0.7 },
        { key: 'loss', step: 0, value: Number.NaN },
      ]);
      const linked = await db('logged_model_metrics')
        .orderBy('key')
        .select('model_id', 'run_uuid', 'key', 'value', 'dataset_name', 'dataset_digest');
      expect(linked).toEqual([
        {
          model_id: model,
          run_uuid: run,
          key: 'acc',
          value: 0.5,
          dataset_name: 'eval',
          dataset_digest: 'd1',
        },
        {
          model_id: model,
          run_uuid: run,
          key: 'loss',
          value: Number.NaN,
          dataset_name: null,
          dataset_digest: null,
        },
      ]);
      await expect(db('metrics').insert({ ...point, value: 0.5 })).rejects.toThrow(/metrics_point_key/);
    } finally {
      await db.destroy();
    }
  });
});
