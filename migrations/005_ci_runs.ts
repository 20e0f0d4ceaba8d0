import type { Knex } from 'knex';

/**
 * CI job linkage for tracking runs (issue 5), in the same four columns model versions have (001). A run
 * names its job through tags — `ci.*`, or GitLab's variables as `gitlab.CI_*` — which the MLflow client may
 * send at runs/create, with set-tag or in a log-batch, and which may later be deleted. Rather than teach
 * every tag-writing path about CI, a trigger on run_tags recomputes the columns from the run's current tags
 * (`ci.*` before `gitlab.CI_*`); X-CI-* request headers on runs/create arrive as `ci.*` tags.
 */
const PAIRS: Array<[column: string, ciTag: string, gitlabTag: string]> = [
  ['ci_job_id', 'ci.job_id', 'gitlab.CI_JOB_ID'],
  ['ci_job_url', 'ci.job_url', 'gitlab.CI_JOB_URL'],
  ['ci_pipeline_id', 'ci.pipeline_id', 'gitlab.CI_PIPELINE_ID'],
  ['ci_commit_sha', 'ci.commit_sha', 'gitlab.CI_COMMIT_SHA'],
];
const KEYS = PAIRS.flatMap(([, ci, gitlab]) => [ci, gitlab])
  .map((key) => `'${key}'`)
  .join(', ');

function columnValue(column: string, ciTag: string, gitlabTag: string): string {
  const pick = (key: string) => `max(NULLIF(btrim(value), '')) FILTER (WHERE key = '${key}')`;
  const value = `COALESCE(${pick(ciTag)}, ${pick(gitlabTag)})`;
  return column === 'ci_commit_sha' ? `lower(${value})` : value;
}

export async function up(knex: Knex): Promise<void> {
  const assignments = PAIRS.map(
    ([column, ci, gitlab]) =>
      `${column} = (SELECT ${columnValue(column, ci, gitlab)} FROM run_tags WHERE run_uuid = target AND key IN (${KEYS}))`,
  ).join(',\n        ');
  await knex.raw(`
    ALTER TABLE runs
      ADD COLUMN ci_job_id varchar(256),
      ADD COLUMN ci_job_url text CHECK (char_length(ci_job_url) <= 2048),
      ADD COLUMN ci_pipeline_id varchar(256),
      ADD COLUMN ci_commit_sha varchar(64);
    CREATE INDEX runs_ci_job_idx ON runs (ci_job_id);

    CREATE FUNCTION runs_sync_ci_columns() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
      target varchar(32);
      tag_key varchar(250);
    BEGIN
      IF TG_OP = 'DELETE' THEN
        target := OLD.run_uuid; tag_key := OLD.key;
      ELSE
        target := NEW.run_uuid; tag_key := NEW.key;
      END IF;
      IF tag_key NOT IN (${KEYS}) THEN
        RETURN NULL;
      END IF;
      UPDATE runs SET
        ${assignments}
      WHERE run_uuid = target;
      RETURN NULL;
    END
    $$;
    CREATE TRIGGER run_tags_sync_ci AFTER INSERT OR UPDATE OR DELETE ON run_tags
      FOR EACH ROW EXECUTE FUNCTION runs_sync_ci_columns();
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    DROP TRIGGER run_tags_sync_ci ON run_tags;
    DROP FUNCTION runs_sync_ci_columns();
    DROP INDEX runs_ci_job_idx;
    ALTER TABLE runs DROP COLUMN ci_job_id, DROP COLUMN ci_job_url, DROP COLUMN ci_pipeline_id, DROP COLUMN ci_commit_sha;
  `);
}
