import { randomBytes } from 'node:crypto';
import type { Knex } from 'knex';
import type { Queryable } from '../db/knex';
import { prepared } from '../db/prepared';
import { registeredModelNotFound } from '../errors';
import { eventRow } from '../lifecycle/events';
import { versionCreatedEvent } from '../lifecycle/registry-events';
import { DecidedValues, eventCtes } from '../lifecycle/webhook-outbox';
import type { SemverParts } from './semver';
import { MODEL_VERSION_TABLE_COLUMNS, ModelVersionJson, ModelVersionRow, versionJson } from './views';

/** What a create writes besides the model, the number and the semver. */
export type NewVersionColumns = Omit<
  ModelVersionRow,
  | 'id'
  | 'registered_model_id'
  | 'version'
  | 'name'
  | 'semver'
  | 'major'
  | 'minor'
  | 'patch'
  | 'prerelease'
  | 'build'
  | 'current_stage'
  | 'status'
  | 'status_message'
  | 'tag_list'
  | 'alias_list'
>;

export interface NewVersion {
  /** The registered model, by name: the statement locks its row and finds its id. */
  name: string;
  columns: NewVersionColumns;
  /** The semver asked for; without one, the next patch of the highest release (1.0.0 for the first). */
  semver?: SemverParts;
  /** Stored tags, sorted by key as every answer lists them. */
  tags: Array<{ key: string; value: string }>;
  /** Set only by `semreg import-mlflow`: the source version's number, which the model skips ahead to. */
  number?: number;
  now: number;
}

/** Where MLflow starts every version. */
const INITIAL_STATE = { current_stage: 'None', status: 'READY', status_message: null };

/**
 * Creates a version in one statement: it locks the model's row as it takes the next number, inserts the version
 * with its semver and tags, and records the `version.created` event with its webhook deliveries. Creates of one
 * model queue on that lock, which is held until the commit: run on its own (autocommit), the statement holds
 * it for no round trip to Node at all, so a create's other work overlaps the next one's.
 *
 * The event and its payloads are rendered here before the number and the default semver exist; placeholders
 * stand for both and the statement puts them in (DecidedValues). The default semver is read by
 * `highest_release` (migration 012), which sees the versions committed while the statement waited for the lock.
 *
 * Returns the version as MLflow shows it and its model's id; a missing model is RESOURCE_DOES_NOT_EXIST.
 */
export async function insertVersion(
  db: Queryable,
  version: NewVersion,
): Promise<{ registeredModelId: number; json: ModelVersionJson }> {
  const numberToken = `semreg:${randomBytes(16).toString('hex')}`;
  const semverToken = `semreg:${randomBytes(16).toString('hex')}`;
  const provisional = versionJson(
    {
      ...version.columns,
      ...INITIAL_STATE,
      id: 0,
      registered_model_id: 0,
      version: 0,
      semver: semverToken,
      major: 0,
      minor: 0,
      patch: 0,
      prerelease: '',
      build: '',
      name: version.name,
    },
    version.tags,
    [],
  );
  const { columns, event } = eventRow(
    versionCreatedEvent(version.name, { ...provisional, version: numberToken }),
  );
  const decided: DecidedValues = {
    from: 'version',
    columns: {
      registered_model_id: 'version.registered_model_id',
      version: 'version.version',
      semver: 'version.semver',
    },
    placeholders: [
      { token: numberToken, json: 'to_json(version.version::text)::text' },
      { token: semverToken, json: 'to_json(version.semver)::text' },
    ],
  };
  const recorded = eventCtes(columns, { ...event, version: numberToken, semver: semverToken }, decided);

  const values = { ...version.columns, ...INITIAL_STATE };
  const names = Object.keys(values) as Array<keyof typeof values>;
  const wanted = version.semver;
  const numbered = version.number !== undefined;
  const bindings: Knex.Value[] = [
    ...(version.number === undefined ? [] : [version.number]),
    version.now,
    version.name,
    ...names.map((name) => values[name]),
    wanted?.major ?? null,
    wanted?.minor ?? null,
    wanted?.patch ?? null,
    wanted?.prerelease ?? '',
    wanted?.build ?? '',
    version.name,
    version.tags.map((tag) => tag.key),
    version.tags.map((tag) => tag.value),
    ...recorded.bindings,
  ];
  const { rows } = await prepared(
    `${numbered ? 'create-version-numbered' : 'create-version'}-${recorded.notifications}`,
    db.raw(
      `WITH model AS (
         UPDATE registered_models SET next_version = ${numbered ? 'GREATEST(next_version, ?) + 1' : 'next_version + 1'},
                last_updated_timestamp = ?
          WHERE name = ? RETURNING id, next_version
       ), version AS (
         INSERT INTO model_versions (registered_model_id, version, ${names.join(', ')}, major, minor, patch, prerelease, build)
         SELECT model.id, model.next_version - 1, ${names.map(() => '?').join(', ')},
                coalesce(?, highest.major, 1), coalesce(?, highest.minor, 0), coalesce(?, highest.patch + 1, 0), ?, ?
           FROM model LEFT JOIN LATERAL highest_release(model.id, ?) AS highest ON true
         RETURNING ${MODEL_VERSION_TABLE_COLUMNS.join(', ')}
       ), tags AS (
         INSERT INTO model_version_tags (model_version_id, key, value)
         SELECT version.id, tag.key, tag.value
           FROM version, unnest(CAST(? AS text[]), CAST(? AS text[])) AS tag(key, value)
       ), ${recorded.sql}
       SELECT version.* FROM version, notified`,
      bindings,
    ),
  );
  if (rows.length === 0) throw registeredModelNotFound(version.name);
  const row = rows[0];
  return {
    registeredModelId: row.registered_model_id,
    json: versionJson({ ...row, name: version.name }, version.tags, []),
  };
}
