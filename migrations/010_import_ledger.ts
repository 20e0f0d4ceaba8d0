import type { Knex } from 'knex';

/**
 * The ledger of `semreg import-mlflow` (docs/import.md): one row per source object (experiment, run, logged
 * model, artifact file, registered model, model version, …) naming the semreg object it became. Each object
 * is written in the same transaction as its row with `completed = true`, so an import stopped at any point
 * (Ctrl-C, kill -9, a network error) resumes where it stopped and never writes an object twice. A row with
 * `completed = false` is an object the last run could not import; `detail` says why, and the next run tries
 * it again. `source` is the source server's URL, so imports from two servers keep separate ledgers.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE import_ledger (
      source text NOT NULL,
      kind varchar(32) NOT NULL,
      source_id text NOT NULL,
      target_id text,
      completed boolean NOT NULL DEFAULT false,
      detail jsonb,
      updated_at bigint NOT NULL,
      PRIMARY KEY (source, kind, source_id)
    );
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP TABLE import_ledger');
}
