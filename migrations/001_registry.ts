import type { Knex } from 'knex';

/**
 * Registered models, model versions, their tags and aliases. The semantic version of a model version lives
 * in typed columns whose CHECK constraints mirror semver.org 2.0.0, and a UNIQUE constraint per model on
 * (major, minor, patch, prerelease): build metadata does not count for precedence (§10), so it cannot make
 * two versions distinct either.
 */
const NUMERIC_OR_ALNUM = `(0|[1-9][0-9]*|[0-9]*[A-Za-z-][0-9A-Za-z-]*)`;
const PRERELEASE_RE = `^${NUMERIC_OR_ALNUM}(\\.${NUMERIC_OR_ALNUM})*$`;
const BUILD_RE = `^[0-9A-Za-z-]+(\\.[0-9A-Za-z-]+)*$`;
// The largest integer JavaScript's `semver` package accepts (Number.MAX_SAFE_INTEGER).
const MAX_COMPONENT = '9007199254740991';

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    -- semver.org §11: identifiers compare left to right, numeric ones numerically, alphanumeric ones in ASCII
    -- order, numeric < alphanumeric, a shorter list < a longer one with the same prefix, and a release sorts
    -- above every prerelease of the same major.minor.patch. Numeric identifiers are encoded as
    -- '0' + 5-digit length + digits (no leading zeros, so length-then-lexical is numeric order), alphanumeric
    -- ones as '1' + text, and a release as the single element '2'. Compare with COLLATE "C".
    CREATE FUNCTION semver_prerelease_key(pre text) RETURNS text[]
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
      SELECT CASE WHEN pre = '' THEN ARRAY['2'] ELSE ARRAY(
        SELECT CASE WHEN part ~ '^[0-9]+$' THEN '0' || lpad(length(part)::text, 5, '0') || part ELSE '1' || part END
        FROM unnest(string_to_array(pre, '.')) WITH ORDINALITY AS t(part, n) ORDER BY n)
      END
    $$;

    CREATE TABLE registered_models (
      id bigserial PRIMARY KEY,
      name varchar(256) NOT NULL CONSTRAINT registered_models_name_key UNIQUE,
      description text CHECK (char_length(description) <= 5000),
      user_id text,
      creation_timestamp bigint NOT NULL,
      last_updated_timestamp bigint NOT NULL,
      -- The per-model counter behind race-free version allocation: UPDATE … RETURNING takes a row lock, so
      -- concurrent creates on one model queue up; numbers are never reused, deleted versions included.
      next_version integer NOT NULL DEFAULT 1 CHECK (next_version >= 1),
      deployment_job_id text,
      CONSTRAINT registered_models_name_form CHECK (
        char_length(name) >= 1 AND name !~ '[/:\\x00]' AND name NOT IN ('.', '..')
      )
    );

    CREATE TABLE registered_model_tags (
      registered_model_id bigint NOT NULL REFERENCES registered_models(id) ON DELETE CASCADE,
      key varchar(250) NOT NULL,
      value text CHECK (char_length(value) <= 100000),
      PRIMARY KEY (registered_model_id, key)
    );

    CREATE TABLE model_versions (
      id bigserial PRIMARY KEY,
      registered_model_id bigint NOT NULL REFERENCES registered_models(id) ON DELETE CASCADE,
      version integer NOT NULL CHECK (version >= 1),
      major bigint NOT NULL CHECK (major BETWEEN 0 AND ${MAX_COMPONENT}),
      minor bigint NOT NULL CHECK (minor BETWEEN 0 AND ${MAX_COMPONENT}),
      patch bigint NOT NULL CHECK (patch BETWEEN 0 AND ${MAX_COMPONENT}),
      -- '' means "no prerelease" (a release); NULL would make the UNIQUE constraint below ignore releases.
      prerelease varchar(128) NOT NULL DEFAULT '' CHECK (prerelease = '' OR prerelease ~ '${PRERELEASE_RE}'),
      build varchar(128) NOT NULL DEFAULT '' CHECK (build = '' OR build ~ '${BUILD_RE}'),
      semver text GENERATED ALWAYS AS (
        major::text || '.' || minor::text || '.' || patch::text
        || CASE WHEN prerelease = '' THEN '' ELSE '-' || prerelease END
        || CASE WHEN build = '' THEN '' ELSE '+' || build END
      ) STORED,
      prerelease_key text[] COLLATE "C" GENERATED ALWAYS AS (semver_prerelease_key(prerelease)) STORED,
      source text NOT NULL,
      storage_location text,
      run_id varchar(64),
      run_link text,
      logged_model_id varchar(64),
      description text CHECK (char_length(description) <= 5000),
      user_id text,
      current_stage varchar(64) NOT NULL DEFAULT 'None',
      status varchar(32) NOT NULL DEFAULT 'READY',
      status_message text,
      -- The CI job that produced the version (headers X-CI-*, tags ci.* or gitlab.CI_*), returned as ci.* tags.
      ci_job_id varchar(256),
      ci_job_url text,
      ci_pipeline_id varchar(256),
      ci_commit_sha varchar(64),
      creation_timestamp bigint NOT NULL,
      last_updated_timestamp bigint NOT NULL,
      CONSTRAINT model_versions_number_key UNIQUE (registered_model_id, version),
      CONSTRAINT model_versions_semver_key UNIQUE (registered_model_id, major, minor, patch, prerelease)
    );
    CREATE INDEX model_versions_precedence_idx
      ON model_versions (registered_model_id, major DESC, minor DESC, patch DESC, prerelease_key DESC);
    CREATE INDEX model_versions_run_id_idx ON model_versions (run_id);
    CREATE INDEX model_versions_ci_job_idx ON model_versions (ci_job_id);
    CREATE INDEX model_versions_updated_idx ON model_versions (last_updated_timestamp DESC);

    CREATE TABLE model_version_tags (
      model_version_id bigint NOT NULL REFERENCES model_versions(id) ON DELETE CASCADE,
      key varchar(250) NOT NULL,
      value text NOT NULL CHECK (char_length(value) <= 100000),
      PRIMARY KEY (model_version_id, key)
    );

    CREATE TABLE registered_model_aliases (
      registered_model_id bigint NOT NULL REFERENCES registered_models(id) ON DELETE CASCADE,
      alias varchar(255) NOT NULL,
      version integer NOT NULL,
      PRIMARY KEY (registered_model_id, alias),
      FOREIGN KEY (registered_model_id, version)
        REFERENCES model_versions (registered_model_id, version) ON DELETE CASCADE
    );
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    DROP TABLE registered_model_aliases;
    DROP TABLE model_version_tags;
    DROP TABLE model_versions;
    DROP TABLE registered_model_tags;
    DROP TABLE registered_models;
    DROP FUNCTION semver_prerelease_key(text);
  `);
}
