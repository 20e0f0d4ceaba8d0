import semver from 'semver';
import { prepared } from '../db/prepared';
import type { Queryable } from '../db/knex';
import { invalidParameter, notFound } from '../errors';
import { effectivePolicy, findStage } from '../lifecycle/stage-policy';
import { findRegisteredModel } from './registered-models';
import { isStrictSemver, parseRange, parseSemver } from './semver';
import { canonicalStage, MLFLOW_STAGES } from './stages';
import { validateModelName } from './validation';
import { ModelVersionJson, ModelVersionRow, modelVersionQuery, modelVersionsToJson } from './views';

/**
 * get-latest-versions, which also carries semver lookups: a stock client turns `models:/m/1.2.0` and
 * `models:/m/^1.2` into `stages: ["1.2.0"]` / `["^1.2"]` (mlflow-compat.md §4.4). Each entry is read as
 *   1. an MLflow stage (any case) → the highest version number in it (empty when none),
 *   2. a semantic version → exactly that version,
 *   3. a semver range → the single highest version satisfying it (prereleases only if the range names one),
 *   4. anything else → 400.
 * Cases 2 and 3 return exactly one version, or 404 naming the selector, because the client takes
 * max(int(version)) over the list and would otherwise pick by integer order.
 */

async function latestInStage(
  db: Queryable,
  modelId: number,
  stage: string,
): Promise<ModelVersionRow | undefined> {
  return prepared(
    'latest-version-in-stage',
    modelVersionQuery(db)
      .where({ 'mv.registered_model_id': modelId, 'mv.current_stage': stage })
      .orderBy('mv.version', 'desc')
      .first(),
  );
}

async function exactSemver(
  db: Queryable,
  modelId: number,
  selector: string,
): Promise<ModelVersionRow | undefined> {
  const parts = parseSemver(selector);
  return modelVersionQuery(db)
    .where({
      'mv.registered_model_id': modelId,
      'mv.major': parts.major,
      'mv.minor': parts.minor,
      'mv.patch': parts.patch,
      'mv.prerelease': parts.prerelease,
    })
    .first();
}

async function highestInRange(
  db: Queryable,
  modelId: number,
  range: semver.Range,
): Promise<ModelVersionRow | undefined> {
  const candidates: Array<{ version: number; semver: string }> = await db('model_versions')
    .where({ registered_model_id: modelId })
    .select('version', 'semver');
  const best = semver.maxSatisfying(
    candidates.map((c) => c.semver),
    range,
  );
  if (best === null) return undefined;
  const version = candidates.find((c) => c.semver === best)!.version;
  return modelVersionQuery(db).where({ 'mv.registered_model_id': modelId, 'mv.version': version }).first();
}

export async function getLatestVersions(
  db: Queryable,
  name: string,
  stages: string[] | undefined,
): Promise<ModelVersionJson[]> {
  validateModelName(name);
  const model = await findRegisteredModel(db, name);
  const selectors = stages && stages.length > 0 ? stages : [...MLFLOW_STAGES];
  const rows: ModelVersionRow[] = [];
  for (const selector of selectors) {
    const stage = canonicalStage(selector);
    if (stage) {
      const row = await latestInStage(db, model.id, stage);
      if (row) rows.push(row);
      continue;
    }
    // A custom stage of the model's policy (`models:/m/prod`) reads like an MLflow stage.
    const custom = findStage(await effectivePolicy(db, model.id), selector);
    if (custom) {
      const row = await latestInStage(db, model.id, custom.name);
      if (row) rows.push(row);
      continue;
    }
    const range = isStrictSemver(selector) ? undefined : parseRange(selector);
    if (!isStrictSemver(selector) && !range) {
      throw invalidParameter(
        `Invalid stage or version selector '${selector.slice(0, 200)}': expected one of ${MLFLOW_STAGES.join(', ')}, a semantic version (1.2.0) or a semver range (^1.2, ~1.2.3, 1.x, >=1.0.0 <2.0.0).`,
      );
    }
    const row = range ? await highestInRange(db, model.id, range) : await exactSemver(db, model.id, selector);
    if (!row) throw notFound(`No version of registered model '${name}' matches '${selector.slice(0, 200)}'.`);
    rows.push(row);
  }
  const unique = [...new Map(rows.map((row) => [row.id, row])).values()];
  return modelVersionsToJson(unique);
}
