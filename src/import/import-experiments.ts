import { runWithEventContext } from '../lifecycle/event-context';
import {
  createExperiment,
  deleteExperiment,
  getExperiment,
  getExperimentByName,
  restoreExperiment,
  setExperimentTag,
} from '../tracking/experiments';
import { errorMessage, ImportContext } from './import-context';
import { nameSelected } from './name-filter';
import { int64, SourceExperiment } from './source-types';

/**
 * Experiments: created with their names, tags and times; the artifact location is semreg's own
 * (`mlflow-artifacts:/<new id>`, generated from the id). An experiment whose name semreg already has (the
 * seeded `Default` at least) is taken over: its tags are set from the source and the runs go into it.
 * Deleted source experiments are imported active and deleted at the end (`syncExperimentLifecycle`), as
 * runs and logged models can only be created in active ones.
 */
export async function listSourceExperiments(
  ctx: Pick<ImportContext, 'source' | 'options'>,
): Promise<SourceExperiment[]> {
  const experiments = await ctx.source.all<SourceExperiment>(
    'POST',
    'experiments/search',
    { max_results: 1000, view_type: 'ALL' },
    'experiments',
  );
  return experiments.filter((e) => nameSelected(ctx.options.experiments, e.name));
}

async function takeOver(ctx: ImportContext, experiment: SourceExperiment, targetId: string): Promise<void> {
  await ctx.db.transaction(async (trx) => {
    const target = await getExperiment(trx, targetId);
    if (target.lifecycle_stage === 'deleted') await restoreExperiment(trx, targetId);
    for (const tag of experiment.tags ?? []) await setExperimentTag(trx, targetId, tag);
    await ctx.ledger.complete(trx, 'experiment', experiment.experiment_id, targetId, { takenOver: true });
  });
  ctx.report.note(
    `experiment '${experiment.name}' already existed in semreg (id ${targetId}): the source's runs and tags were added to it`,
  );
}

export async function importExperiment(ctx: ImportContext, experiment: SourceExperiment): Promise<void> {
  const existing = await getExperimentByName(ctx.db, experiment.name).catch(() => undefined);
  if (existing) return takeOver(ctx, experiment, existing.experiment_id);
  const creationTime = int64(experiment.creation_time, Date.now());
  await runWithEventContext({ replayTime: creationTime }, () =>
    ctx.db.transaction(async (trx) => {
      const id = await createExperiment(
        trx,
        { name: experiment.name, tags: experiment.tags },
        { creationTime, lastUpdateTime: int64(experiment.last_update_time, creationTime) },
      );
      await ctx.ledger.complete(trx, 'experiment', experiment.experiment_id, id);
    }),
  );
}

export async function importExperiments(ctx: ImportContext, experiments: SourceExperiment[]): Promise<void> {
  const done = await ctx.ledger.completed(ctx.db, 'experiment');
  ctx.progress.start('experiments', experiments.length);
  for (const experiment of experiments) {
    if (ctx.signal.aborted) break;
    const entry = done.get(experiment.experiment_id);
    try {
      if (entry?.targetId) {
        ctx.report.alreadyImported('experiments');
        // A deleted source experiment is restored while its runs may still arrive, and deleted again at the end.
        const target = await getExperiment(ctx.db, entry.targetId).catch(() => undefined);
        if (target?.lifecycle_stage === 'deleted') await restoreExperiment(ctx.db, entry.targetId);
      } else {
        await importExperiment(ctx, experiment);
        ctx.report.imported('experiments');
      }
      const mapped =
        entry?.targetId ?? (await ctx.ledger.find(ctx.db, 'experiment', experiment.experiment_id))?.targetId;
      if (mapped) ctx.experimentIds.set(experiment.experiment_id, mapped);
    } catch (err) {
      if (ctx.signal.aborted) break;
      ctx.report.failed('experiments', `'${experiment.name}'`, errorMessage(err));
      await ctx.ledger.fail(ctx.db, 'experiment', experiment.experiment_id, errorMessage(err));
    }
    ctx.progress.tick();
  }
  ctx.progress.stop();
}

/** Last phase: experiments deleted in the source are deleted in semreg too (their runs with them). */
export async function syncExperimentLifecycle(
  ctx: ImportContext,
  experiments: SourceExperiment[],
): Promise<void> {
  for (const experiment of experiments) {
    const targetId = ctx.experimentIds.get(experiment.experiment_id);
    if (!targetId || experiment.lifecycle_stage !== 'deleted') continue;
    await deleteExperiment(ctx.db, targetId, { at: int64(experiment.last_update_time, Date.now()) });
  }
}
