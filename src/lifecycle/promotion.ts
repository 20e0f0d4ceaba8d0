import type { Db, Queryable } from '../db/knex';
import { invalidParameter, MlflowError } from '../errors';
import { findModelVersion } from '../registry/model-versions';
import { lockRegisteredModel } from '../registry/registered-models';
import { validateAlias, validateModelName } from '../registry/validation';
import { modelVersionToJson, ModelVersionJson, ModelVersionRow } from '../registry/views';
import { EventRecord, toEventRecord, whereModel } from './events';
import { holderOf, modelEvents, replay } from './history';
import { aliasSet } from './registry-events';
import { moveToStage } from './stage-moves';
import { findStage, effectivePolicy } from './stage-policy';
import { highestInStage, selectVersion, VersionSelector } from './version-selector';

/**
 * Compare-and-set promotion and rollback (semreg-api.md "Promotion"). The model row is locked for the whole
 * transaction, so concurrent promotions of one model queue up: the first wins, and the others find the
 * target changed and get 409 RESOURCE_CONFLICT when they named the holder they expected.
 */
export interface PromotionResult {
  model_version: ModelVersionJson;
  previous_version: string | null;
  archived_versions: string[];
}

export interface PromoteInput extends Omit<VersionSelector, 'alias' | 'stage'> {
  stage?: string;
  alias?: string;
  expected_current_version?: string | number;
}

function target(input: { stage?: string; alias?: string }): { stage: string } | { alias: string } {
  if (input.stage && input.alias) throw invalidParameter("Give either 'stage' or 'alias', not both.");
  if (input.stage) return { stage: input.stage };
  if (input.alias) return { alias: validateAlias(input.alias) };
  throw invalidParameter("Missing value for required parameter 'stage' or 'alias'.");
}

function compareAndSet(
  expected: string | number | undefined,
  current: number | undefined,
  what: string,
): void {
  if (expected === undefined) return;
  const wanted = String(expected);
  const actual = current === undefined ? '' : String(current);
  if (wanted !== actual) {
    throw new MlflowError(
      'RESOURCE_CONFLICT',
      `${what} is held by ${actual ? `version ${actual}` : 'no version'}, not ${wanted ? `version ${wanted}` : 'no version'} as expected; reload and retry.`,
    );
  }
}

export async function promote(db: Db, name: string, input: PromoteInput): Promise<PromotionResult> {
  validateModelName(name);
  const dest = target(input);
  return db.transaction(async (trx) => {
    const model = await lockRegisteredModel(trx, name);
    const version = await selectVersion(trx, model, {
      version: input.version,
      semver: input.semver,
      range: input.range,
    });
    if ('stage' in dest) {
      const current = await highestInStage(trx, model.id, dest.stage);
      compareAndSet(input.expected_current_version, current, `Stage ${dest.stage} of '${name}'`);
      if (version.current_stage.toLowerCase() === dest.stage.toLowerCase()) {
        return result(trx, name, version.version, current, []);
      }
      const moved = await moveToStage(trx, { model, version, toStage: dest.stage });
      return result(trx, name, version.version, current, moved.archived);
    }
    const row = await trx('registered_model_aliases')
      .where({ registered_model_id: model.id, alias: dest.alias })
      .first('version');
    compareAndSet(input.expected_current_version, row?.version, `Alias @${dest.alias} of '${name}'`);
    await setAlias(trx, model, dest.alias, version, row?.version);
    return result(trx, name, version.version, row?.version, []);
  });
}

async function setAlias(
  trx: Queryable,
  model: { id: number; name: string },
  alias: string,
  version: ModelVersionRow,
  previous: number | undefined,
): Promise<void> {
  if (previous === version.version) return;
  await trx('registered_model_aliases')
    .insert({ registered_model_id: model.id, alias, version: version.version })
    .onConflict(['registered_model_id', 'alias'])
    .merge();
  await trx('registered_models').where({ id: model.id }).update({ last_updated_timestamp: Date.now() });
  await aliasSet(trx, model, alias, version.version, previous);
}

async function result(
  trx: Queryable,
  name: string,
  version: number,
  previous: number | undefined,
  archived: number[],
): Promise<PromotionResult> {
  return {
    model_version: modelVersionToJson(await findModelVersion(trx, name, version)),
    previous_version: previous === undefined ? null : String(previous),
    archived_versions: archived.map(String),
  };
}

async function lastEvent(
  trx: Queryable,
  name: string,
  where: Record<string, unknown>,
): Promise<EventRecord | undefined> {
  const builder = trx('events').where(where).orderBy('id', 'desc').first();
  whereModel(builder, trx, name);
  const row = await builder;
  return row ? toEventRecord(row) : undefined;
}

function noPrevious(what: string): MlflowError {
  return new MlflowError('INVALID_STATE', `${what} has no earlier holder to roll back to.`, 400);
}

/** Returns a stage or alias to the version that held it before the current holder arrived. */
export async function rollback(
  db: Db,
  name: string,
  input: { stage?: string; alias?: string },
): Promise<PromotionResult> {
  validateModelName(name);
  const dest = target(input);
  return db.transaction(async (trx) => {
    const model = await lockRegisteredModel(trx, name);
    if ('alias' in dest) {
      const current = await trx('registered_model_aliases')
        .where({ registered_model_id: model.id, alias: dest.alias })
        .first('version');
      const last = await lastEvent(trx, name, { type: 'alias.set', alias: dest.alias });
      const previous = last?.before?.version;
      if (!current || previous === undefined || previous === null)
        throw noPrevious(`Alias @${dest.alias} of '${name}'`);
      const version = await findModelVersion(trx, name, Number(previous)).catch(() => {
        throw new MlflowError(
          'INVALID_STATE',
          `Version ${previous}, which held @${dest.alias} before, no longer exists.`,
          400,
        );
      });
      await setAlias(trx, model, dest.alias, version, current.version);
      return result(trx, name, version.version, current.version, []);
    }
    const policy = await effectivePolicy(trx, model.id);
    const stage = findStage(policy, dest.stage)?.name ?? dest.stage;
    const current = await highestInStage(trx, model.id, stage);
    if (current === undefined) throw noPrevious(`Stage ${stage} of '${name}'`);
    // The event that brought the current holder in; the state just before it says who held the stage then.
    const arrival = await lastEvent(trx, name, { type: 'stage.transitioned', version: current, stage });
    if (!arrival) throw noPrevious(`Stage ${stage} of '${name}'`);
    const before = replay(await modelEvents(trx, name, { beforeId: arrival.id }));
    const previous = holderOf(before, stage);
    if (previous === null || Number(previous) === current) throw noPrevious(`Stage ${stage} of '${name}'`);
    const version = await findModelVersion(trx, name, Number(previous)).catch(() => {
      throw new MlflowError(
        'INVALID_STATE',
        `Version ${previous}, which held ${stage} before, no longer exists.`,
        400,
      );
    });
    // The current holder goes back where it came from, then the previous holder returns.
    const holder = await findModelVersion(trx, name, current);
    const cameFrom = String(arrival.before?.stage ?? 'None');
    await moveToStage(trx, { model, version: holder, toStage: cameFrom, skipRules: true });
    await moveToStage(trx, { model, version, toStage: stage, skipRules: true });
    return result(trx, name, version.version, current, []);
  });
}
