import { copyOwnerFiles, ownerOf } from './import-artifacts';
import { importExperiment } from './import-experiments';
import type { ImportContext } from './import-context';
import { importLoggedModel } from './import-logged-models';
import { importRun } from './import-runs';
import type { SourceExperiment, SourceLoggedModel, SourceModelVersion, SourceRun } from './source-types';

/**
 * A selected model version whose run or logged model was left out by `--experiments` brings them along
 * (with their experiment and files): a version must never point at files that did not move, and semreg
 * refuses a version whose `run_id` names no run. Each pulled object goes through the ledger like the rest.
 */
async function ensureExperiment(ctx: ImportContext, sourceId: string): Promise<string> {
  const known =
    ctx.experimentIds.get(sourceId) ?? (await ctx.ledger.find(ctx.db, 'experiment', sourceId))?.targetId;
  if (known) return known;
  const { experiment } = await ctx.source.call<{ experiment: SourceExperiment }>('GET', 'experiments/get', {
    experiment_id: sourceId,
  });
  await importExperiment(ctx, experiment);
  const created = (await ctx.ledger.find(ctx.db, 'experiment', sourceId))?.targetId;
  if (!created) throw new Error(`experiment ${sourceId} could not be imported`);
  ctx.experimentIds.set(sourceId, created);
  ctx.report.note(`experiment '${experiment.name}' imported because a selected model version needs it`);
  return created;
}

async function ensureRun(ctx: ImportContext, runId: string): Promise<void> {
  if (ctx.runIds.has(runId)) return;
  let entry = await ctx.ledger.find(ctx.db, 'run', runId);
  if (!entry?.completed) {
    const { run } = await ctx.source.call<{ run: SourceRun }>('GET', 'runs/get', {
      run_id: runId,
      run_uuid: runId,
    });
    await importRun(ctx, run, await ensureExperiment(ctx, run.info.experiment_id));
    ctx.report.imported('runs');
    entry = await ctx.ledger.find(ctx.db, 'run', runId);
  }
  if (!entry?.targetId) return;
  ctx.runIds.set(runId, entry.targetId);
  const owner = await ownerOf(ctx, 'run', entry);
  if (owner) await copyOwnerFiles(ctx, owner);
}

async function ensureLoggedModel(ctx: ImportContext, modelId: string): Promise<void> {
  if (ctx.loggedModelIds.has(modelId)) return;
  let entry = await ctx.ledger.find(ctx.db, 'logged-model', modelId);
  if (!entry?.completed) {
    const { model } = await ctx.source.call<{ model: SourceLoggedModel }>(
      'GET',
      `logged-models/${encodeURIComponent(modelId)}`,
    );
    await importLoggedModel(ctx, model, await ensureExperiment(ctx, model.info.experiment_id));
    ctx.report.imported('logged models');
    entry = await ctx.ledger.find(ctx.db, 'logged-model', modelId);
  }
  if (!entry?.targetId) return;
  ctx.loggedModelIds.set(modelId, entry.targetId);
  const owner = await ownerOf(ctx, 'logged model', entry);
  if (owner) await copyOwnerFiles(ctx, owner);
}

export async function ensureVersionDependencies(
  ctx: ImportContext,
  version: SourceModelVersion,
): Promise<void> {
  const logged = version.model_id ?? /^models:\/(m-[0-9a-f]{32})$/.exec(version.source ?? '')?.[1];
  if (logged) await ensureLoggedModel(ctx, logged);
  const run = version.run_id ?? /^runs:\/([^/]+)\//.exec(version.source ?? '')?.[1];
  if (run) await ensureRun(ctx, run);
}
