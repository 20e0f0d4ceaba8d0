import type { Db, Queryable } from '../db/knex';
import { prepared } from '../db/prepared';
import { invalidParameter } from '../errors';
import { findRegisteredModel, lockRegisteredModel, touchRegisteredModel } from './registered-models';
import { aliasDeleted, aliasSet } from '../lifecycle/registry-events';
import { versionForStageAlias } from '../lifecycle/version-selector';
import { findModelVersion } from './model-versions';
import { parseVersionNumber, validateAlias, validateModelName } from './validation';
import { ModelVersionJson, ModelVersionRow, modelVersionQuery, modelVersionToJson } from './views';

/** Aliases: mutable named pointers to one version of a model (mlflow-compat.md §3.6). */

export async function setRegisteredModelAlias(
  db: Db,
  name: string,
  alias: string,
  version: string | number,
): Promise<void> {
  validateModelName(name);
  validateAlias(alias);
  const number = parseVersionNumber(version);
  await db.transaction(async (trx) => {
    const model = await lockRegisteredModel(trx, name);
    await findModelVersion(trx, name, number);
    const previous = await trx('registered_model_aliases')
      .where({ registered_model_id: model.id, alias })
      .first('version');
    await trx('registered_model_aliases')
      .insert({ registered_model_id: model.id, alias, version: number })
      .onConflict(['registered_model_id', 'alias'])
      .merge();
    await touchRegisteredModel(trx, model.id);
    await aliasSet(trx, model, alias, number, previous?.version);
  });
}

/** Deleting an alias that does not exist is a no-op, as in MLflow; the model itself must exist. */
export async function deleteRegisteredModelAlias(db: Db, name: string, alias: string): Promise<void> {
  validateModelName(name);
  if (!alias) validateAlias(alias);
  await db.transaction(async (trx) => {
    const model = await lockRegisteredModel(trx, name);
    const removed: Array<{ version: number }> = await trx('registered_model_aliases')
      .where({ registered_model_id: model.id, alias })
      .delete()
      .returning('version');
    if (removed.length > 0) {
      await touchRegisteredModel(trx, model.id);
      await aliasDeleted(trx, model, alias, removed[0].version);
    }
  });
}

/** The common case, one statement: an alias row of the model named `name`, joined to its version. */
function versionOfAliasRow(db: Queryable, name: string, alias: string): Promise<ModelVersionRow | undefined> {
  return prepared(
    'model-version-by-alias',
    modelVersionQuery(db)
      .join('registered_model_aliases as pointer', (on) =>
        on.on('pointer.registered_model_id', 'mv.registered_model_id').andOn('pointer.version', 'mv.version'),
      )
      .where({ 'rm.name': name, 'pointer.alias': alias })
      .first(),
  );
}

/**
 * `latest` (any case) is the highest version number; an unknown alias is 400, as the reference server answers.
 * An alias row answers in one statement; everything else (a stage used as an alias, the errors) takes the
 * longer way.
 */
export async function getModelVersionByAlias(
  db: Queryable,
  name: string,
  alias: string,
): Promise<ModelVersionJson> {
  validateModelName(name);
  const latest = alias.toLowerCase() === 'latest';
  const direct = latest ? undefined : await versionOfAliasRow(db, name, alias);
  if (direct) return modelVersionToJson(direct);
  const model = await findRegisteredModel(db, name);
  let row: ModelVersionRow | undefined;
  if (latest) {
    row = await modelVersionQuery(db)
      .where('mv.registered_model_id', model.id)
      .orderBy('mv.version', 'desc')
      .first();
  } else {
    // No alias row (looked up above): a stage of the same name, since every stage is also an alias.
    const target = await versionForStageAlias(db, model.id, alias);
    if (target !== undefined) row = await findModelVersion(db, name, target);
  }
  if (!row) throw invalidParameter(`Registered model alias ${alias.slice(0, 300)} not found.`);
  return modelVersionToJson(row);
}
