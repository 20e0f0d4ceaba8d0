import type { Knex } from 'knex';

/**
 * Indexes for the registry's read and search shapes (issue 15), found by EXPLAINing every read on a loaded
 * database (test/integration/performance/query-plans.test.ts):
 *
 * - `name LIKE 'prefix%'`: the UNIQUE index on name serves LIKE only under the C collation; the pattern
 *   operator class serves it under any collation.
 * - `tags.<k> = 'v'`: hash indexes on tag values (values may be 100,000 characters, past what a B-tree entry
 *   holds; a hash index stores only the hash).
 * - the hidden-prompt filter that every MLflow 3 search carries: partial indexes holding only prompt tags,
 *   so the anti-join reads them instead of every tag.
 * - one model's versions by last update (the order of model-versions/search) and by stage
 *   (get-latest-versions): read in index order up to the page size.
 * - a version's aliases, which every version read aggregates: by (model, version), not every alias of the
 *   model.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE INDEX registered_models_name_pattern_idx ON registered_models (name varchar_pattern_ops);
    CREATE INDEX registered_model_tags_value_idx ON registered_model_tags USING hash (value);
    CREATE INDEX model_version_tags_value_idx ON model_version_tags USING hash (value);
    CREATE INDEX registered_model_tags_prompt_idx ON registered_model_tags (registered_model_id)
      WHERE key = 'mlflow.prompt.is_prompt' AND value = 'true';
    CREATE INDEX model_version_tags_prompt_idx ON model_version_tags (model_version_id)
      WHERE key = 'mlflow.prompt.is_prompt' AND value = 'true';
    CREATE INDEX model_versions_model_updated_idx
      ON model_versions (registered_model_id, last_updated_timestamp DESC, version DESC);
    CREATE INDEX model_versions_model_stage_idx ON model_versions (registered_model_id, current_stage, version DESC);
    CREATE INDEX registered_model_aliases_version_idx ON registered_model_aliases (registered_model_id, version);
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    DROP INDEX registered_model_aliases_version_idx;
    DROP INDEX model_versions_model_stage_idx;
    DROP INDEX model_versions_model_updated_idx;
    DROP INDEX model_version_tags_prompt_idx;
    DROP INDEX registered_model_tags_prompt_idx;
    DROP INDEX model_version_tags_value_idx;
    DROP INDEX registered_model_tags_value_idx;
    DROP INDEX registered_models_name_pattern_idx;
  `);
}
