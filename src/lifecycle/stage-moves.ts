import type { Queryable } from '../db/knex';
import type { ModelVersionRow } from '../registry/views';
import { recordEvent } from './events';
import { checkTransition } from './stage-policy';
import { versionTags } from './version-selector';

/**
 * The one place a version changes stage: checks the policy, archives what it says, updates the rows and
 * records one `stage.transitioned` event per moved version, all in the caller's transaction (the model row
 * must be locked by the caller, so capacity counts cannot race).
 */
export interface StageMove {
  model: { id: number; name: string };
  version: ModelVersionRow;
  toStage: string;
  /** MLflow's archive_existing_versions. */
  archiveExisting?: boolean;
  /** Rollback restores an earlier state, so it skips the transition and tag rules (the stage must exist). */
  skipRules?: boolean;
  /** Epoch ms of the move instead of now (`semreg import-mlflow` keeps the source's times). */
  at?: number;
}

export interface StageMoveResult {
  stage: string;
  fromStage: string;
  archived: number[];
}

export async function moveToStage(trx: Queryable, move: StageMove): Promise<StageMoveResult> {
  const { model, version } = move;
  const plan = await checkTransition(trx, {
    model: model.name,
    registeredModelId: model.id,
    version: version.version,
    fromStage: version.current_stage,
    toStage: move.toStage,
    versionTags: move.skipRules ? {} : await versionTags(trx, version.id),
    archiveExisting: move.archiveExisting,
    skipRules: move.skipRules,
  });
  const now = move.at ?? Date.now();
  const archivedRows: Array<{ version: number; semver: string; current_stage: string }> = plan.archive.length
    ? await trx('model_versions')
        .where({ registered_model_id: model.id })
        .whereIn('version', plan.archive)
        .update({ current_stage: plan.archiveStage, last_updated_timestamp: now })
        .returning(['version', 'semver', 'current_stage'])
    : [];
  await trx('model_versions')
    .where({ id: version.id })
    .update({ current_stage: plan.stage, last_updated_timestamp: now });
  await trx('registered_models').where({ id: model.id }).update({ last_updated_timestamp: now });
  // The move itself first, then what it archived: replaying events up to the move's id then shows the
  // stage as it was before (rollback relies on it).
  await recordEvent(trx, {
    type: 'stage.transitioned',
    model: model.name,
    registeredModelId: model.id,
    version: version.version,
    semver: version.semver,
    stage: plan.stage,
    before: { stage: version.current_stage },
    after: { stage: plan.stage, archived_versions: plan.archive.map(String) },
    time: now,
  });
  for (const archived of archivedRows) {
    await recordEvent(trx, {
      type: 'stage.transitioned',
      model: model.name,
      registeredModelId: model.id,
      version: archived.version,
      semver: archived.semver,
      stage: plan.archiveStage,
      before: { stage: plan.stage },
      after: { stage: plan.archiveStage, archived_by: String(version.version) },
      time: now,
    });
  }
  return { stage: plan.stage, fromStage: version.current_stage, archived: plan.archive };
}
