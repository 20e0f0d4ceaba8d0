import type { components } from '../generated/openapi';
import type { Queryable } from '../db/knex';
import { prepared } from '../db/prepared';
import { ciJobFromColumns, ciJobTags } from '../ci/ci-job';

/**
 * Rows of the registry tables and their MLflow JSON shapes. Tags and aliases are loaded in one query per
 * page (never one per version), and every model version carries its immutable `semver` tag plus `ci.*`
 * tags from the CI columns (mlflow-compat.md §4.4).
 */
export type ModelVersionJson = components['schemas']['ModelVersion'];
export type RegisteredModelJson = components['schemas']['RegisteredModel'];

export interface RegisteredModelRow {
  id: number;
  name: string;
  description: string | null;
  user_id: string | null;
  creation_timestamp: number;
  last_updated_timestamp: number;
  next_version: number;
  deployment_job_id: string | null;
}

/** Listed, not `*`, for the prepared statements that read them (db/prepared.ts). */
export const REGISTERED_MODEL_COLUMNS = [
  'id',
  'name',
  'description',
  'user_id',
  'creation_timestamp',
  'last_updated_timestamp',
  'next_version',
  'deployment_job_id',
] as const satisfies ReadonlyArray<keyof RegisteredModelRow>;

export interface ModelVersionRow {
  id: number;
  registered_model_id: number;
  name: string;
  version: number;
  major: number;
  minor: number;
  patch: number;
  prerelease: string;
  build: string;
  semver: string;
  source: string;
  storage_location: string | null;
  run_id: string | null;
  run_link: string | null;
  logged_model_id: string | null;
  /** The package folder this version owns (set by package uploads only); null for every other version. */
  package_folder: string | null;
  description: string | null;
  user_id: string | null;
  current_stage: string;
  status: string;
  status_message: string | null;
  ci_job_id: string | null;
  ci_job_url: string | null;
  ci_pipeline_id: string | null;
  ci_commit_sha: string | null;
  creation_timestamp: number;
  last_updated_timestamp: number;
  /** Selected with the row by modelVersionQuery: the stored tags by key, and the aliases by name. */
  tag_list: TagRow[];
  alias_list: string[];
}

export const SEMVER_TAG = 'semver';

/**
 * The columns of ModelVersionRow that `model_versions` holds, listed rather than `mv.*` so that prepared
 * statements survive a migration that adds a column (db/prepared.ts).
 */
export const MODEL_VERSION_TABLE_COLUMNS = [
  'id',
  'registered_model_id',
  'version',
  'major',
  'minor',
  'patch',
  'prerelease',
  'build',
  'semver',
  'source',
  'storage_location',
  'run_id',
  'run_link',
  'logged_model_id',
  'package_folder',
  'description',
  'user_id',
  'current_stage',
  'status',
  'status_message',
  'ci_job_id',
  'ci_job_url',
  'ci_pipeline_id',
  'ci_commit_sha',
  'creation_timestamp',
  'last_updated_timestamp',
] as const satisfies ReadonlyArray<keyof ModelVersionRow>;

const MODEL_VERSION_COLUMNS = MODEL_VERSION_TABLE_COLUMNS.map((column) => `mv.${column}`);

/** A version row's tags and aliases (`mv` is the version), selected with it: see modelVersionQuery. */
const VERSION_TAGS_AND_ALIASES = `
  (SELECT coalesce(json_agg(json_build_object('key', t.key, 'value', t.value) ORDER BY t.key), '[]')
     FROM model_version_tags t WHERE t.model_version_id = mv.id) AS tag_list,
  (SELECT coalesce(array_agg(a.alias ORDER BY a.alias), '{}') FROM registered_model_aliases a
     WHERE a.registered_model_id = mv.registered_model_id AND a.version = mv.version) AS alias_list`;

/**
 * `model_versions` joined with its model's name, its tags and its aliases: the select every version query
 * starts from. Tags and aliases come in the same statement (a statement costs about as much as the read
 * itself), so a version read is one round trip.
 */
export function modelVersionQuery(db: Queryable) {
  return db('model_versions as mv')
    .join('registered_models as rm', 'rm.id', 'mv.registered_model_id')
    .select(...MODEL_VERSION_COLUMNS, 'rm.name', db.raw(VERSION_TAGS_AND_ALIASES));
}

export interface TagRow {
  key: string;
  value: string | null;
  model_version_id?: number;
}

interface AliasRow {
  alias: string;
  version: number;
}

type WithoutNulls<T> = { [K in keyof T]: Exclude<T[K], null> };

function keyValues(rows: TagRow[]) {
  return rows.map((row) => (row.value === null ? { key: row.key } : { key: row.key, value: row.value }));
}

/** MLflow omits unset fields rather than sending null (mlflow-compat.md §1.4). */
function compact<T extends object>(object: T): WithoutNulls<T> {
  return Object.fromEntries(
    Object.entries(object).filter(([, v]) => v !== null && v !== undefined),
  ) as WithoutNulls<T>;
}

/** Rows read through modelVersionQuery (or latestVersionRows), which carry their tags and aliases. */
export function modelVersionsToJson(rows: readonly ModelVersionRow[]): ModelVersionJson[] {
  return rows.map((row) => versionJson(row, row.tag_list, row.alias_list));
}

/** One version's JSON from its row, stored tags (ordered by key) and aliases: no query. */
export function versionJson(
  row: Omit<ModelVersionRow, 'tag_list' | 'alias_list'>,
  tags: readonly TagRow[],
  aliases: string[],
): ModelVersionJson {
  const virtualTags = [{ key: SEMVER_TAG, value: row.semver }, ...ciJobTags(ciJobFromColumns(row))];
  return compact({
    name: row.name,
    version: String(row.version),
    creation_timestamp: row.creation_timestamp,
    last_updated_timestamp: row.last_updated_timestamp,
    user_id: row.user_id,
    current_stage: row.current_stage,
    description: row.description,
    source: row.source,
    run_id: row.run_id,
    status: row.status as ModelVersionJson['status'],
    status_message: row.status_message,
    tags: [...virtualTags, ...keyValues([...tags])],
    run_link: row.run_link,
    aliases,
    model_id: row.logged_model_id,
  });
}

export function modelVersionToJson(row: ModelVersionRow): ModelVersionJson {
  return versionJson(row, row.tag_list, row.alias_list);
}

/**
 * Tags, aliases and `latest_versions` of a page of models in one statement (a statement costs about as much as
 * the read itself). `latest_versions` is the highest version number in each stage, as MLflow reports it. A
 * model may have thousands of versions in a handful of stages, so the stages are found by skipping through
 * the (model, stage, version) index — one probe per stage, a "loose index scan" PostgreSQL does not do by
 * itself — and each stage's highest version is one more probe, instead of reading every version of the model.
 * `ids` is the SQL of the bigint array of model ids: a bound parameter, or a column of an enclosing query.
 */
const modelDetails = (ids: string) => `
  WITH RECURSIVE stages AS (
    (SELECT registered_model_id, current_stage FROM model_versions
      WHERE registered_model_id = ANY(${ids}) ORDER BY registered_model_id, current_stage LIMIT 1)
    UNION ALL
    SELECT next.registered_model_id, next.current_stage FROM stages s CROSS JOIN LATERAL (
      SELECT registered_model_id, current_stage FROM model_versions
       WHERE registered_model_id = ANY(${ids})
         AND (registered_model_id, current_stage) > (s.registered_model_id, s.current_stage)
       ORDER BY registered_model_id, current_stage LIMIT 1) next
  ), latest AS (
    SELECT ${MODEL_VERSION_COLUMNS.join(', ')}, rm.name, ${VERSION_TAGS_AND_ALIASES} FROM stages s
      CROSS JOIN LATERAL (SELECT * FROM model_versions v
        WHERE v.registered_model_id = s.registered_model_id AND v.current_stage = s.current_stage
        ORDER BY v.version DESC LIMIT 1) mv
      JOIN registered_models rm ON rm.id = mv.registered_model_id
  ), tags AS (
    SELECT registered_model_id AS id,
           json_agg(json_build_object('key', key, 'value', value) ORDER BY key) AS list
      FROM registered_model_tags WHERE registered_model_id = ANY(${ids}) GROUP BY registered_model_id
  ), aliases AS (
    SELECT registered_model_id AS id,
           json_agg(json_build_object('alias', alias, 'version', version) ORDER BY alias) AS list
      FROM registered_model_aliases WHERE registered_model_id = ANY(${ids}) GROUP BY registered_model_id
  ), latest_lists AS (
    SELECT registered_model_id AS id, json_agg(latest ORDER BY current_stage) AS list
      FROM latest GROUP BY registered_model_id
  )
  SELECT m.id, coalesce(t.list, '[]') AS tag_list, coalesce(a.list, '[]') AS alias_list,
         coalesce(l.list, '[]') AS latest_list
    FROM unnest(CAST(${ids} AS bigint[])) AS m(id)
    LEFT JOIN tags t ON t.id = m.id LEFT JOIN aliases a ON a.id = m.id LEFT JOIN latest_lists l ON l.id = m.id`;

const MODEL_DETAILS = modelDetails(':ids');

/** One model by name with its details: a get-registered-model is one statement. */
const MODEL_BY_NAME_WITH_DETAILS = `
  WITH found AS (SELECT ${REGISTERED_MODEL_COLUMNS.join(', ')} FROM registered_models WHERE name = :name)
  SELECT found.*, d.tag_list, d.alias_list, d.latest_list
    FROM found CROSS JOIN LATERAL (${modelDetails('ARRAY[found.id]')}) d`;

interface ModelDetails {
  id: number;
  tag_list: TagRow[];
  alias_list: AliasRow[];
  latest_list: ModelVersionRow[];
}

export async function registeredModelsToJson(
  db: Queryable,
  rows: RegisteredModelRow[],
): Promise<RegisteredModelJson[]> {
  if (rows.length === 0) return [];
  const ids = rows.map((row) => row.id);
  const { rows: details } = await prepared('registered-model-details', db.raw(MODEL_DETAILS, { ids }));
  const byModel = new Map((details as ModelDetails[]).map((d) => [Number(d.id), d]));
  return rows.map((row) => detailedModelJson(row, byModel.get(row.id)));
}

/** The model named `name` as MLflow shows it, or undefined when there is none. */
export async function findRegisteredModelJson(
  db: Queryable,
  name: string,
): Promise<RegisteredModelJson | undefined> {
  const { rows } = await prepared(
    'registered-model-with-details',
    db.raw(MODEL_BY_NAME_WITH_DETAILS, { name }),
  );
  const found = rows[0] as (RegisteredModelRow & ModelDetails) | undefined;
  return found && detailedModelJson(found, found);
}

/** A model's JSON from its row and what the details statement found for it (nothing: no tags, aliases, versions). */
function detailedModelJson(row: RegisteredModelRow, details: ModelDetails | undefined): RegisteredModelJson {
  return registeredModelJson(
    row,
    details?.tag_list ?? [],
    details?.alias_list ?? [],
    modelVersionsToJson(details?.latest_list ?? []),
  );
}

function registeredModelJson(
  row: RegisteredModelRow,
  tags: Array<Pick<TagRow, 'key' | 'value'>>,
  aliases: AliasRow[],
  latestVersions: ModelVersionJson[],
): RegisteredModelJson {
  return compact({
    name: row.name,
    creation_timestamp: row.creation_timestamp,
    last_updated_timestamp: row.last_updated_timestamp,
    user_id: row.user_id,
    description: row.description,
    latest_versions: latestVersions,
    tags: keyValues(tags),
    aliases: aliases.map((a) => ({ alias: a.alias, version: String(a.version) })),
    deployment_job_id: row.deployment_job_id,
  });
}

/** A model just created: it has no versions and no aliases yet, only the tags it was given. */
export function newRegisteredModelToJson(
  row: RegisteredModelRow,
  tags: Array<Pick<TagRow, 'key' | 'value'>>,
): RegisteredModelJson {
  return registeredModelJson(row, tags, [], []);
}

export async function registeredModelToJson(
  db: Queryable,
  row: RegisteredModelRow,
): Promise<RegisteredModelJson> {
  return (await registeredModelsToJson(db, [row]))[0];
}
