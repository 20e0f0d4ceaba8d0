import type { Knex } from 'knex';

/**
 * The generic package registry (issue 5). A package version IS a model version whose source is
 * `mlflow-artifacts:/packages/<registered_model_id>/<semver>`; its files live under that storage prefix, so
 * the stock MLflow client downloads them through the artifact proxy. package_files records each file's
 * size and sha256 (computed while streaming) and the CI job that uploaded it; package_file_events is the
 * append-only audit trail of deletions and overwrites; package_upload_locks keeps two uploads of the same
 * path from racing (one would overwrite the other's bytes between rename and commit).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE package_files (
      id bigserial PRIMARY KEY,
      model_version_id bigint NOT NULL REFERENCES model_versions(id) ON DELETE CASCADE,
      path varchar(4096) NOT NULL CHECK (char_length(path) >= 1),
      storage_key text NOT NULL,
      size bigint NOT NULL CHECK (size >= 0),
      sha256 char(64) NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
      content_type varchar(255),
      ci_job_id varchar(256),
      ci_job_url text,
      ci_pipeline_id varchar(256),
      ci_commit_sha varchar(64),
      created_at bigint NOT NULL,
      CONSTRAINT package_files_path_key UNIQUE (model_version_id, path)
    );
    CREATE INDEX package_files_ci_job_idx ON package_files (ci_job_id);

    CREATE TABLE package_file_events (
      id bigserial PRIMARY KEY,
      action varchar(32) NOT NULL CHECK (action IN ('deleted', 'overwritten', 'version_deleted')),
      model_name varchar(256) NOT NULL,
      version integer NOT NULL,
      semver text NOT NULL,
      path varchar(4096),
      sha256 char(64),
      size bigint,
      token_id bigint,
      time bigint NOT NULL
    );

    CREATE TABLE package_upload_locks (
      model_name varchar(256) NOT NULL,
      semver text NOT NULL,
      path varchar(4096) NOT NULL,
      -- '<host>/<pid>/<random>': a lock whose process is gone (same host) or that is older than the server's
      -- request timeout (another host) is abandoned and may be taken over.
      owner text NOT NULL,
      started_at bigint NOT NULL,
      PRIMARY KEY (model_name, semver, path)
    );
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(
    'DROP TABLE package_upload_locks; DROP TABLE package_file_events; DROP TABLE package_files;',
  );
}
