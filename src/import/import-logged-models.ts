import { runWithEventContext } from '../lifecycle/event-context';
import { createLoggedModel, getLoggedModel, ImportedLoggedModel } from '../tracking/logged-models';
import { errorMessage, ImportContext } from './import-context';
import { SourceError } from './mlflow-source';
import { int64, SourceLoggedModel } from './source-types';

/**
 * MLflow 3 logged models, before the runs that name them as inputs or outputs: same `m-…` id (model version
 * sources `models:/m-…` keep resolving), name, type, params, tags, status and times. Their metrics are
 * written with the runs they were logged to, their files copied with the run artifacts. A 2.x source has no
 * logged-models endpoint (404): nothing to do.
 */
const STATUSES: ReadonlyArray<ImportedLoggedModel['status']> = [
  'LOGGED_MODEL_PENDING',
  'LOGGED_MODEL_READY',
  'LOGGED_MODEL_UPLOAD_FAILED',
];

export async function listSourceLoggedModels(
  ctx: Pick<ImportContext, 'source'>,
  experimentId: string,
): Promise<SourceLoggedModel[]> {
  try {
    return await ctx.source.all<SourceLoggedModel>(
      'POST',
      'logged-models/search',
      { experiment_ids: [experimentId], max_results: 100 },
      'models',
    );
  } catch (err) {
    if (err instanceof SourceError && err.status === 404) return [];
    throw err;
  }
}

export async function importLoggedModel(
  ctx: ImportContext,
  model: SourceLoggedModel,
  targetExperiment: string,
): Promise<void> {
  const { info } = model;
  const creation = int64(info.creation_timestamp_ms, Date.now());
  const status = STATUSES.find((s) => s === info.status) ?? 'LOGGED_MODEL_READY';
  await runWithEventContext({ replayTime: creation }, () =>
    ctx.db.transaction(async (trx) => {
      const created = await createLoggedModel(
        trx,
        {
          experiment_id: targetExperiment,
          name: info.name,
          model_type: info.model_type,
          source_run_id: info.source_run_id,
          params: model.data?.params,
          tags: info.tags,
        },
        {
          modelId: info.model_id,
          status,
          creationTimestampMs: creation,
          lastUpdatedTimestampMs: int64(info.last_updated_timestamp_ms, creation),
        },
      );
      await ctx.ledger.complete(trx, 'logged-model', info.model_id, created.info.model_id, {
        sourceArtifactUri: info.artifact_uri ?? null,
        experimentId: targetExperiment,
      });
    }),
  );
}

/** Keeps an imported model's metrics, under its semreg id, for the runs they were logged to (importRun). */
function collectMetrics(ctx: ImportContext, model: SourceLoggedModel, targetId: string): void {
  for (const { run_id: runId, ...metric } of model.data?.metrics ?? []) {
    if (!runId) continue;
    const forRun = ctx.loggedModelMetrics.get(runId) ?? [];
    forRun.push({ ...metric, model_id: targetId });
    ctx.loggedModelMetrics.set(runId, forRun);
  }
}

export async function importLoggedModels(ctx: ImportContext, experimentIds: string[]): Promise<void> {
  const done = await ctx.ledger.completed(ctx.db, 'logged-model');
  for (const [id, entry] of done) if (entry.targetId) ctx.loggedModelIds.set(id, entry.targetId);
  ctx.progress.start('logged models', 0);
  for (const sourceExperiment of experimentIds) {
    const target = ctx.experimentIds.get(sourceExperiment);
    if (!target || ctx.signal.aborted) continue;
    const models = await listSourceLoggedModels(ctx, sourceExperiment);
    ctx.progress.grow(models.length);
    for (const model of models) {
      if (ctx.signal.aborted) break;
      const id = model.info.model_id;
      if (done.has(id)) {
        ctx.report.alreadyImported('logged models');
        collectMetrics(ctx, model, ctx.loggedModelIds.get(id) ?? id);
      } else {
        try {
          const existing = await getLoggedModel(ctx.db, id, { allowDeleted: true }).catch(() => undefined);
          if (existing)
            throw new Error(`semreg already has a logged model ${id} that this import did not create`);
          await importLoggedModel(ctx, model, target);
          ctx.loggedModelIds.set(id, id);
          collectMetrics(ctx, model, id);
          ctx.report.imported('logged models');
        } catch (err) {
          if (ctx.signal.aborted) break;
          ctx.report.failed('logged models', id, errorMessage(err));
          await ctx.ledger.fail(ctx.db, 'logged-model', id, errorMessage(err));
        }
      }
      ctx.progress.tick();
    }
  }
  ctx.progress.stop();
}
