import type { Knex } from 'knex';

/**
 * A run's metric history is one point per (key, step, timestamp, value), as in MLflow's `metrics` table:
 * logging the same point again, with or without a logged model or dataset attached, adds nothing. MLflow 3's
 * `log_model` relogs the run's latest metrics tagged with the new model's id; 002 kept those as second
 * points, so get-history answered step 0 twice where the reference answers it once.
 *
 * The link from a point to a logged model (and its dataset) moves to `logged_model_metrics`, MLflow's
 * table of the same name: what `LoggedModel.data.metrics` shows and logged-model search filters on.
 *
 * `metrics.model_id`, `dataset_name` and `dataset_digest` stay, no longer written or read, so replicas of
 * the previous release keep serving during a rolling upgrade (docs/operations.md); a later migration drops
 * them.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE logged_model_metrics (
      id bigserial PRIMARY KEY,
      model_id varchar(64) NOT NULL,
      run_uuid varchar(32) NOT NULL REFERENCES runs(run_uuid) ON DELETE CASCADE,
      key varchar(250) NOT NULL,
      value double precision NOT NULL,
      timestamp bigint NOT NULL,
      step bigint NOT NULL,
      dataset_name varchar(500),
      dataset_digest varchar(36),
      CONSTRAINT logged_model_metrics_dedupe_key UNIQUE NULLS NOT DISTINCT
        (model_id, run_uuid, key, step, timestamp, value, dataset_name, dataset_digest)
    );
    CREATE INDEX logged_model_metrics_model_idx ON logged_model_metrics (model_id, key);

    INSERT INTO logged_model_metrics
        (model_id, run_uuid, key, value, timestamp, step, dataset_name, dataset_digest)
      SELECT model_id, run_uuid, key, value, timestamp, step, dataset_name, dataset_digest
      FROM metrics WHERE model_id IS NOT NULL ORDER BY id
      ON CONFLICT DO NOTHING;

    -- The first of each set of equal points stays (PostgreSQL counts NaN equal to NaN, as MLflow's is_nan does).
    DELETE FROM metrics later USING metrics earlier
      WHERE later.run_uuid = earlier.run_uuid AND later.key = earlier.key AND later.step = earlier.step
        AND later.timestamp = earlier.timestamp AND later.value = earlier.value AND later.id > earlier.id;
    DROP INDEX metrics_model_idx;
    ALTER TABLE metrics DROP CONSTRAINT metrics_dedupe_key;
    ALTER TABLE metrics ADD CONSTRAINT metrics_point_key UNIQUE (run_uuid, key, step, timestamp, value);
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    ALTER TABLE metrics DROP CONSTRAINT metrics_point_key;
    ALTER TABLE metrics ADD CONSTRAINT metrics_dedupe_key UNIQUE NULLS NOT DISTINCT
      (run_uuid, key, step, timestamp, value, model_id, dataset_name, dataset_digest);
    CREATE INDEX metrics_model_idx ON metrics (model_id, key) WHERE model_id IS NOT NULL;
    INSERT INTO metrics (run_uuid, key, value, timestamp, step, model_id, dataset_name, dataset_digest)
      SELECT run_uuid, key, value, timestamp, step, model_id, dataset_name, dataset_digest
      FROM logged_model_metrics ORDER BY id
      ON CONFLICT DO NOTHING;
    DROP TABLE logged_model_metrics;
  `);
}
