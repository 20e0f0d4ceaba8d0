import type { S3Destination } from '../config';
import { prepared } from '../db/prepared';
import type { Db, Queryable } from '../db/knex';
import { isUniqueViolation } from '../db/pg-errors';
import { alreadyExists, invalidParameter, notFound } from '../errors';
import { ciColumnForTag, CiJob, ciJobColumns } from '../ci/ci-job';
import { lockRegisteredModel, Tag, touchRegisteredModel, validateTags } from './registered-models';
import { formatSemver, parseSemver, SemverParts } from './semver';
import { tagDeleted, tagSet, versionDeleted } from '../lifecycle/registry-events';
import { moveToStage } from '../lifecycle/stage-moves';
import { effectivePolicy, findStage } from '../lifecycle/stage-policy';
import { refuseReservedSemver } from './reserved-semvers';
import { insertVersion } from './version-insert';
import { checkArtifactLineage, checkSourceLineage, refuseOtherModelsPackages, resolveSource } from './source';
import { appendModelVersion, lockModelVersionsList } from '../tracking/logged-models';
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
  ModelVersionJson,
  ModelVersionRow,
  modelVersionQuery,
  modelVersionToJson,
  SEMVER_TAG,
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

async function versionWithSemver(
  db: Queryable,
  name: string,
  semver: SemverParts,
): Promise<number | undefined> {
  const row = await db('model_versions as mv')
    .join('registered_models as rm', 'rm.id', 'mv.registered_model_id')
    .where({
      'rm.name': name,
      'mv.major': semver.major,
      'mv.minor': semver.minor,
      'mv.patch': semver.patch,
      'mv.prerelease': semver.prerelease,
    })
    .first('mv.version');
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
  targetName: string,
  source: string,
  semver: SemverParts | undefined,
): Promise<{ key: string; value: string } | undefined> {
  const origin = /^models:\/([^/]+)\/(\d+)$/.exec(source);
  if (!semver || !origin || (await versionWithSemver(db, targetName, semver)) === undefined) return undefined;
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
  const storedTags = tags
    .filter((tag) => !SEMVER_TAG_ALIASES.includes(tag.key) && !ciColumnForTag(tag.key))
    .map(({ key, value }) => {
      if (value === undefined) throw invalidParameter(`Model version tag '${key}' needs a value.`);
      return { key, value };
    });

  try {
    // Nothing here locks the model: creates of one model queue on its row lock, taken by the one statement
    // that inserts the version (version-insert.ts). The source check reads runs, logged models and other
    // versions only; a copy's semver is looked at before the lock too (taken meanwhile, it is a conflict).
    await checkSourceLineage(db, input.source, input.run_id, input.model_id);
    const resolved = await resolveSource(db, input.source, getModelVersionDownloadUri, sourceContext);
    if (resolved.storePath !== undefined && input.packageFolder === undefined)
      await checkArtifactLineage(db, input.source, resolved.storePath, input.run_id, input.model_id);
    const copy = await copiedSemverTaken(db, name, input.source, semver);
    const wanted = copy ? undefined : semver;
    const tagRows = [...storedTags, ...(copy ? [copy] : [])].sort((a, b) =>
      a.key < b.key ? -1 : a.key > b.key ? 1 : 0,
    );
    // The reference lists the version on the logged model it came from (prompts excepted; an import keeps the
    // tags it copied).
    const loggedModelId = input.model_id ?? resolved.loggedModelId;
    const recordOnLoggedModel = !!loggedModelId && !sourceContext.prompt && !input.imported;
    // A package upload re-publishing a deleted version checks its bytes file by file (packages/upload.ts).
    const checkReserved = wanted !== undefined && input.packageFolder === undefined;
    // What must run under the model's lock besides the statement (checks of the locked model, more writes)
    // makes it a transaction; every throw below is one of these. Otherwise the statement commits on its own.
    const inTransaction =
      resolved.packageOwnerId !== undefined || checkReserved || recordOnLoggedModel || !!input.imported;
    const create = async (q: Queryable): Promise<ModelVersionJson> => {
      // The logged model is locked and read before the registered model, whose lock then covers one more
      // statement only.
      const modelVersions = recordOnLoggedModel ? await lockModelVersionsList(q, loggedModelId) : undefined;
      const now = Date.now();
      const { registeredModelId, json } = await insertVersion(q, {
        name,
        now,
        number: input.imported?.version,
        semver: wanted,
        tags: tagRows,
        columns: {
          source: resolved.source,
          storage_location: resolved.storageLocation,
          run_id: input.run_id || resolved.runId || null,
          run_link: input.run_link ?? null,
          logged_model_id: loggedModelId ?? null,
          package_folder: input.packageFolder ?? null,
          description: description ?? null,
          user_id: input.userId ?? null,
          ...ciJobColumns(input.ciJob ?? {}),
          creation_timestamp: input.imported?.creationTimestamp ?? now,
          last_updated_timestamp: input.imported?.lastUpdatedTimestamp ?? now,
        },
      });
      refuseOtherModelsPackages(input.source, resolved, registeredModelId);
      if (input.imported && json.version !== String(input.imported.version))
        throw alreadyExists(
          `Registered model '${name}' already has versions numbered ${input.imported.version} or above; version ${input.imported.version} cannot be created.`,
        );
      if (checkReserved) await refuseReservedSemver(q, name, wanted);
      if (recordOnLoggedModel && modelVersions)
        await appendModelVersion(q, loggedModelId, modelVersions, name, Number(json.version));
      return json;
    };
    const created = inTransaction ? await db.transaction(create) : await create(db);
    versionCreates.inc();
    return created;
  } catch (err) {
    if (semver && isUniqueViolation(err, 'model_versions_semver_key')) {
      const existing = await versionWithSemver(db, name, semver);
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
