import type { S3Destination } from '../config';
import { prepared } from '../db/prepared';
import type { Db, Queryable } from '../db/knex';
import { isUniqueViolation } from '../db/pg-errors';
import { alreadyExists, invalidParameter, notFound } from '../errors';
import { ciColumnForTag, CiJob, ciJobColumns } from '../ci/ci-job';
import {
  allocateVersionNumber,
  lockRegisteredModel,
  Tag,
  touchRegisteredModel,
  validateTags,
} from './registered-models';
import { formatSemver, parseSemver, SemverParts } from './semver';
import { tagDeleted, tagSet, versionCreated, versionDeleted } from '../lifecycle/registry-events';
import { moveToStage } from '../lifecycle/stage-moves';
import { effectivePolicy, findStage } from '../lifecycle/stage-policy';
import { HIGHEST_FIRST, highestReservedReleaseQuery, refuseReservedSemver } from './reserved-semvers';
import { checkArtifactLineage, checkSourceLineage, refuseOtherModelsPackages, resolveSource } from './source';
import { recordModelVersionOnLoggedModel } from '../tracking/logged-models';
import { versionCreates } from '../metrics/metrics';
import { canonicalStage, requireStage, stageAllowsArchiving } from './stages';
import {
  parseVersionNumber,
  validateDescription,
  validateModelName,
  validateTagKey,
  validateTagValue,
} from './validation';
import {
  MODEL_VERSION_TABLE_COLUMNS,
  ModelVersionJson,
  ModelVersionRow,
  modelVersionQuery,
  modelVersionToJson,
  SEMVER_TAG,
  versionJson,
} from './views';

/** Model versions: creation with race-free numbering and a database-enforced semver (mlflow-compat.md §3.7, §4). */

/** `gitlab.version` is accepted as an alias of `semver` so GitLab-style scripts work unchanged. */
const SEMVER_TAG_ALIASES = [SEMVER_TAG, 'gitlab.version'];

export async function findModelVersion(
  db: Queryable,
  name: string,
  version: number,
): Promise<ModelVersionRow> {
  const row = await prepared(
    'model-version-by-name',
    modelVersionQuery(db).where({ 'rm.name': name, 'mv.version': version }).first(),
  );
  if (!row) throw notFound(`Model Version (name=${name}, version=${version}) not found`);
  return row as ModelVersionRow;
}

export async function getModelVersion(
  db: Queryable,
  name: string,
  version: string | number,
): Promise<ModelVersionJson> {
  return modelVersionToJson(await findModelVersion(db, validateModelName(name), parseVersionNumber(version)));
}

/** What get-download-uri answers: the resolved storage location, or the source when it needed none. */
export async function getModelVersionDownloadUri(
  db: Queryable,
  name: string,
  version: string | number,
): Promise<string> {
  const row = await findModelVersion(db, validateModelName(name), parseVersionNumber(version));
  return row.storage_location ?? row.source;
}

function requestedSemver(tags: Tag[]): SemverParts | undefined {
  const values = [
    ...new Set(tags.filter((tag) => SEMVER_TAG_ALIASES.includes(tag.key)).map((tag) => tag.value ?? '')),
  ];
  if (values.length > 1) {
    throw invalidParameter(
      `Conflicting semantic versions in tags 'semver' and 'gitlab.version': ${values.join(', ')}.`,
    );
  }
  return values.length === 1 ? parseSemver(values[0]) : undefined;
}

/** What a create writes besides the semver; the stage and status start at the table's defaults. */
type VersionColumns = Omit<
  ModelVersionRow,
  | 'id'
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

/**
 * Inserts a version with the semver asked for, or else the next patch of the highest release the model has or
 * once published as a package (reserved semvers count too; 1.0.0 for the first). That release is found by the
 * same statement: the model's row is locked until the transaction ends, so every round trip here delays the
 * next create, and the statement runs prepared (db/prepared.ts) for the same reason.
 */
async function insertVersion(
  trx: Queryable,
  modelName: string,
  columns: VersionColumns,
  wanted: SemverParts | undefined,
): Promise<Omit<ModelVersionRow, 'name' | 'tag_list' | 'alias_list'>> {
  const own = trx('model_versions')
    .where({ registered_model_id: columns.registered_model_id, prerelease: '' })
    .orderBy(HIGHEST_FIRST)
    .limit(1)
    .select('major', 'minor', 'patch');
  const highest = trx
    .from(trx.raw('((?) UNION ALL (?)) AS releases', [own, highestReservedReleaseQuery(trx, modelName)]))
    .orderBy(HIGHEST_FIRST)
    .first('major', 'minor', 'patch');
  // Built by one object literal at the one call site: its keys, and so the prepared text, never vary.
  const names = Object.keys(columns) as Array<keyof VersionColumns>;
  const { rows } = await prepared(
    'insert-model-version',
    trx.raw(
      `WITH highest AS (?)
       INSERT INTO model_versions (${names.join(', ')}, major, minor, patch, prerelease, build)
       VALUES (${names.map(() => '?').join(', ')},
               coalesce(?, (SELECT major FROM highest), 1),
               coalesce(?, (SELECT minor FROM highest), 0),
               coalesce(?, (SELECT patch + 1 FROM highest), 0), ?, ?)
       RETURNING ${MODEL_VERSION_TABLE_COLUMNS.join(', ')}`,
      [
        highest,
        ...names.map((name) => columns[name]),
        wanted?.major ?? null,
        wanted?.minor ?? null,
        wanted?.patch ?? null,
        wanted?.prerelease ?? '',
        wanted?.build ?? '',
      ],
    ),
  );
  return rows[0];
}

async function versionWithSemver(
  db: Queryable,
  registeredModelId: number,
  semver: SemverParts,
): Promise<number | undefined> {
  const row = await db('model_versions')
    .where({
      registered_model_id: registeredModelId,
      major: semver.major,
      minor: semver.minor,
      patch: semver.patch,
      prerelease: semver.prerelease,
    })
    .first('version');
  return row?.version;
}

export interface CreateModelVersionInput {
  name: string;
  source: string;
  run_id?: string;
  tags?: Tag[];
  run_link?: string;
  description?: string;
  model_id?: string;
  userId?: string;
  /** The CI job from X-CI-* headers and ci.* / gitlab.CI_* tags (see src/ci/ci-job.ts). */
  ciJob?: CiJob;
  /**
   * Set only by the package registry: the folder it allocated for this version's files, which the version
   * then owns (migration 008). MLflow's create never sets it, whatever its `source` says.
   */
  packageFolder?: string;
  /** The server's S3 store, when it has one: `s3://` sources inside it are accepted. */
  store?: S3Destination;
  /**
   * Set only by `semreg import-mlflow`: the source version's number (gaps kept; refused unless above every
   * number the model used) and times, which MLflow's create cannot set.
   */
  imported?: { version: number; creationTimestamp: number; lastUpdatedTimestamp: number };
}

/** Where a copy came from, kept on a copy that could not keep the origin's semver. */
export const COPIED_FROM_TAG = 'semreg.copied_from';

/**
 * `MlflowClient.copy_model_version` creates a version with source `models:/<origin>/<version>` and the
 * origin's tags, its `semver` among them. Within the same model (or into one that already has that semver)
 * the copy cannot keep it: it gets the next patch instead, and a `semreg.copied_from` tag
 * (`<model>/<version>@<semver>`) records the origin. A semver that is not the origin's stays a conflict.
 */
async function copiedSemverTaken(
  db: Queryable,
  targetModelId: number,
  source: string,
  semver: SemverParts | undefined,
): Promise<Tag | undefined> {
  const origin = /^models:\/([^/]+)\/(\d+)$/.exec(source);
  if (!semver || !origin || (await versionWithSemver(db, targetModelId, semver)) === undefined)
    return undefined;
  const [, originName, originVersion] = origin;
  const originRow = await modelVersionQuery(db)
    .where({ 'rm.name': originName, 'mv.version': Number(originVersion) })
    .first();
  if (!originRow || originRow.semver !== formatSemver(semver)) return undefined;
  return { key: COPIED_FROM_TAG, value: `${originName}/${originVersion}@${originRow.semver}` };
}

export async function createModelVersion(db: Db, input: CreateModelVersionInput): Promise<ModelVersionJson> {
  const name = validateModelName(input.name);
  const tags = validateTags(input.tags);
  const description = validateDescription(input.description);
  const semver = requestedSemver(tags);
  // MLflow's rule: the last `mlflow.prompt.is_prompt` tag decides, and only a true value makes a prompt.
  const promptTag = tags.filter((tag) => tag.key === 'mlflow.prompt.is_prompt').pop();
  const sourceContext = { store: input.store, prompt: promptTag?.value?.toLowerCase() === 'true' };
  // semver and ci.* live in typed columns; every other tag is stored as sent.
  const storedTags = tags.filter((tag) => !SEMVER_TAG_ALIASES.includes(tag.key) && !ciColumnForTag(tag.key));
  for (const tag of storedTags) {
    if (tag.value === undefined) throw invalidParameter(`Model version tag '${tag.key}' needs a value.`);
  }

  try {
    // Creates of one model queue on its row lock: what does not need the lock happens before it, and nothing
    // is read just to find the model (its row comes with the number). The source check reads runs, logged
    // models and other versions only.
    await checkSourceLineage(db, input.source, input.run_id, input.model_id);
    const resolved = await resolveSource(db, input.source, getModelVersionDownloadUri, sourceContext);
    if (resolved.storePath !== undefined && input.packageFolder === undefined)
      await checkArtifactLineage(db, input.source, resolved.storePath, input.run_id, input.model_id);
    const created = await db.transaction(async (trx) => {
      const now = Date.now();
      const model = await allocateVersionNumber(trx, name, now, input.imported?.version);
      refuseOtherModelsPackages(input.source, resolved, model.id);
      const copy = await copiedSemverTaken(trx, model.id, input.source, semver);
      const wanted = copy ? undefined : semver;
      // A package upload re-publishing a deleted version checks its bytes file by file (packages/upload.ts).
      if (wanted && input.packageFolder === undefined) await refuseReservedSemver(trx, name, wanted);
      // The locked counter row makes allocation race-free and gap-free: a failed create rolls it back too.
      const version = model.next_version - 1;
      const row = await insertVersion(
        trx,
        model.name,
        {
          registered_model_id: model.id,
          version,
          source: resolved.source,
          storage_location: resolved.storageLocation,
          run_id: input.run_id || resolved.runId || null,
          run_link: input.run_link ?? null,
          logged_model_id: input.model_id ?? resolved.loggedModelId ?? null,
          package_folder: input.packageFolder ?? null,
          description: description ?? null,
          user_id: input.userId ?? null,
          ...ciJobColumns(input.ciJob ?? {}),
          creation_timestamp: input.imported?.creationTimestamp ?? now,
          last_updated_timestamp: input.imported?.lastUpdatedTimestamp ?? now,
        },
        wanted,
      );
      const versionTags = [...storedTags, ...(copy ? [copy] : [])]
        .map((tag) => ({ model_version_id: row.id, key: tag.key, value: tag.value ?? null }))
        .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
      if (versionTags.length > 0) await trx('model_version_tags').insert(versionTags);
      // The reference lists the version on the logged model it came from (prompts excepted; an import
      // keeps the tags it copied).
      const loggedModelId = input.model_id ?? resolved.loggedModelId;
      if (loggedModelId && !sourceContext.prompt && !input.imported)
        await recordModelVersionOnLoggedModel(trx, loggedModelId, model.name, version);
      // A new version has no aliases yet; its JSON comes from what was just written, without reading it back.
      const json = versionJson({ ...row, name: model.name }, versionTags, []);
      await versionCreated(trx, model, json);
      return json;
    });
    versionCreates.inc();
    return created;
  } catch (err) {
    if (semver && isUniqueViolation(err, 'model_versions_semver_key')) {
      const model = await db('registered_models').where({ name }).first('id');
      const existing = model ? await versionWithSemver(db, model.id, semver) : undefined;
      throw alreadyExists(
        `Semantic version ${formatSemver(semver)} is already used by version ${existing ?? '?'} of registered model '${name}'.`,
      );
    }
    throw err;
  }
}

export async function updateModelVersion(
  db: Db,
  name: string,
  version: string | number,
  description: string | undefined,
): Promise<ModelVersionJson> {
  const number = parseVersionNumber(version);
  validateModelName(name);
  validateDescription(description);
  return db.transaction(async (trx) => {
    const row = await findModelVersion(trx, name, number);
    if (description !== undefined) {
      await trx('model_versions')
        .where({ id: row.id })
        .update({ description, last_updated_timestamp: Date.now() });
    }
    return modelVersionToJson(await findModelVersion(trx, name, number));
  });
}

/** Hidden for good: aliases pointing at it go with it, and its number is never handed out again. */
export async function deleteModelVersion(db: Db, name: string, version: string | number): Promise<void> {
  const number = parseVersionNumber(version);
  validateModelName(name);
  await db.transaction(async (trx) => {
    const model = await lockRegisteredModel(trx, name);
    const row = await findModelVersion(trx, name, number);
    await trx('model_versions').where({ id: row.id }).delete();
    await touchRegisteredModel(trx, model.id);
    await versionDeleted(trx, model, row);
  });
}

function refuseSemverTagChange(key: string): void {
  if (SEMVER_TAG_ALIASES.includes(key)) {
    throw invalidParameter(
      `The '${key}' tag holds the version's semantic version, which is immutable; register a new version instead.`,
    );
  }
}

export async function setModelVersionTag(
  db: Db,
  name: string,
  version: string | number,
  key: string,
  value: string,
): Promise<void> {
  const number = parseVersionNumber(version);
  validateModelName(name);
  validateTagKey(key);
  validateTagValue(value, key);
  refuseSemverTagChange(key);
  await db.transaction(async (trx) => {
    const row = await findModelVersion(trx, name, number);
    const now = Date.now();
    const ciColumn = ciColumnForTag(key);
    if (ciColumn) {
      await trx('model_versions')
        .where({ id: row.id })
        .update({ [ciColumn]: value });
    } else {
      await trx('model_version_tags')
        .insert({ model_version_id: row.id, key, value })
        .onConflict(['model_version_id', 'key'])
        .merge();
    }
    await trx('model_versions').where({ id: row.id }).update({ last_updated_timestamp: now });
    await tagSet(trx, { id: row.registered_model_id, name }, key, value, number);
  });
}

export async function deleteModelVersionTag(
  db: Db,
  name: string,
  version: string | number,
  key: string,
): Promise<void> {
  const number = parseVersionNumber(version);
  validateModelName(name);
  validateTagKey(key);
  refuseSemverTagChange(key);
  await db.transaction(async (trx) => {
    const row = await findModelVersion(trx, name, number);
    const ciColumn = ciColumnForTag(key);
    if (ciColumn) {
      await trx('model_versions')
        .where({ id: row.id })
        .update({ [ciColumn]: null });
    } else {
      const deleted = await trx('model_version_tags').where({ model_version_id: row.id, key }).delete();
      if (deleted === 0)
        throw notFound(`No tag with name: ${key} in model version (name=${name}, version=${number}).`);
    }
    await trx('model_versions').where({ id: row.id }).update({ last_updated_timestamp: Date.now() });
    await tagDeleted(trx, { id: row.registered_model_id, name }, key, number);
  });
}

export interface TransitionInput {
  name: string;
  version: string | number;
  stage: string;
  archive_existing_versions?: boolean;
  /** Set only by `semreg import-mlflow`: when the move happened (epoch ms), instead of now. */
  at?: number;
}

/** MLflow's transition-stage: with archive_existing_versions, the other occupants of Staging/Production move to Archived. */
export async function transitionModelVersionStage(db: Db, input: TransitionInput): Promise<ModelVersionJson> {
  const number = parseVersionNumber(input.version);
  const name = validateModelName(input.name);
  // MLflow's four stages, or (checked below, against the model's stage policy) a custom one.
  const mlflowStage = canonicalStage(input.stage);
  const archive = input.archive_existing_versions === true;
  if (mlflowStage && archive && !stageAllowsArchiving(mlflowStage)) {
    throw invalidParameter(
      `Model version transition cannot archive existing model versions because '${mlflowStage}' is not an Active stage. Valid stages are Staging, Production.`,
    );
  }
  return db.transaction(async (trx) => {
    const model = await lockRegisteredModel(trx, name);
    const stage =
      mlflowStage ??
      findStage(await effectivePolicy(trx, model.id), input.stage)?.name ??
      requireStage(input.stage);
    const row = await findModelVersion(trx, name, number);
    // The stage policy decides (transitions, capacity, required tags, archive_previous); it records the events.
    await moveToStage(trx, { model, version: row, toStage: stage, archiveExisting: archive, at: input.at });
    return modelVersionToJson(await findModelVersion(trx, name, number));
  });
}
