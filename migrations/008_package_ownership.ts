import type { Knex } from 'knex';

/**
 * Ownership of package storage by the database (issue 17).
 *
 * - `model_versions.package_folder`: set only by the package registry when an upload creates the version, to
 *   the folder it allocated (`packages/<registered_model_id>/<semver>`). It is what makes a version
 *   package-backed and the only folder deleting that version may remove. A client-chosen `source` never
 *   decides either: before this column, a version whose `source` named another model's folder got that
 *   folder deleted with it.
 * - `deleted_package_files`: the path and sha256 of every package file that was deleted, per model name and
 *   semver (build metadata does not count, semver.org §10). A published version is never reused for other
 *   bytes, as npm and crates.io refuse to re-publish one: a re-upload must carry the same bytes, and MLflow's
 *   `model-versions/create` may not take that semver for other content.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    ALTER TABLE model_versions ADD COLUMN package_folder text
      CONSTRAINT model_versions_package_folder_key UNIQUE
      CONSTRAINT model_versions_package_folder_form
        CHECK (package_folder = 'packages/' || registered_model_id::text || '/' || semver);
    -- Deletions remove the files no row references any more: looked up by key.
    CREATE INDEX package_files_storage_key_idx ON package_files (storage_key);
    UPDATE model_versions SET package_folder = substring(source FROM char_length('mlflow-artifacts:/') + 1)
      WHERE source = 'mlflow-artifacts:/packages/' || registered_model_id::text || '/' || semver;

    CREATE TABLE deleted_package_files (
      model_name varchar(256) NOT NULL,
      major bigint NOT NULL,
      minor bigint NOT NULL,
      patch bigint NOT NULL,
      prerelease varchar(128) NOT NULL,
      path varchar(4096) NOT NULL,
      sha256 char(64) NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
      deleted_at bigint NOT NULL,
      PRIMARY KEY (model_name, major, minor, patch, prerelease, path)
    );
    -- Deletions before this migration are in the audit trail: the last deleted bytes of each path count.
    INSERT INTO deleted_package_files (model_name, major, minor, patch, prerelease, path, sha256, deleted_at)
    SELECT DISTINCT ON (model_name, v[1], v[2], v[3], coalesce(v[4], ''), path)
      model_name, v[1]::bigint, v[2]::bigint, v[3]::bigint, coalesce(v[4], ''), path, sha256, "time"
    FROM (
      SELECT e.*, regexp_match(e.semver, '^([0-9]+)\\.([0-9]+)\\.([0-9]+)(?:-([^+]*))?') AS v
      FROM package_file_events e
      WHERE action = 'deleted' AND path IS NOT NULL AND sha256 IS NOT NULL
    ) deleted
    WHERE v IS NOT NULL
    ORDER BY model_name, v[1], v[2], v[3], coalesce(v[4], ''), path, id DESC;
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    DROP TABLE deleted_package_files;
    DROP INDEX package_files_storage_key_idx;
    ALTER TABLE model_versions DROP COLUMN package_folder;
  `);
}
