import { runWithEventContext } from '../lifecycle/event-context';
import type { Queryable } from '../db/knex';
import { getLoggedModel } from '../tracking/logged-models';
import { logInputs, logOutputs } from '../tracking/run-inputs-outputs';
import { logBatch, MAX_BATCH_METRICS, MAX_BATCH_PARAMS } from '../tracking/run-logging';
import { createRun, deleteRun, findRunArtifactUri, RUN_NAME_TAG, updateRun } from '../tracking/runs';
import { errorMessage, forEachConcurrently, ImportContext } from './import-context';
import { int64, SourceMetric, SourceRun } from './source-types';

/**
 * Runs, each in one transaction with its ledger row, written through the same services as create-run,
 * log-batch, log-inputs, outputs and update-run: info (same run id, name, user, status, start and end
 * time), params, tags, every metric's full history (steps, timestamps), the metrics its logged models hold
 * from it (with their model and dataset), dataset and model inputs, model outputs; deleted runs are deleted
 * after. Histories are read before the transaction opens, so no transaction waits on the network.
 */
const HISTORY_PAGE = 25_000;
const HISTORY_REQUESTS_PER_RUN = 4;
const RUN_ID = /^[0-9a-f]{32}$/;

export const sourceRunId = (run: SourceRun): string => (run.info.run_id ?? run.info.run_uuid) as string;

export async function listSourceRuns(
  ctx: Pick<ImportContext, 'source'>,
  experimentId: string,
): Promise<SourceRun[]> {
  return ctx.source.all<SourceRun>(
    'POST',
    'runs/search',
    { experiment_ids: [experimentId], run_view_type: 'ALL', max_results: 1000 },
    'runs',
  );
}

export async function metricHistory(
  ctx: Pick<ImportContext, 'source'>,
  runId: string,
  key: string,
): Promise<SourceMetric[]> {
  return ctx.source.all<SourceMetric>(
    'GET',
    'metrics/get-history',
    { run_id: runId, run_uuid: runId, metric_key: key, max_results: HISTORY_PAGE },
    'metrics',
  );
}

function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** The source id when semreg can take it (32 hex digits, not in use), else a new one. */
async function targetRunId(ctx: ImportContext, id: string): Promise<string | undefined> {
  if (!RUN_ID.test(id)) return undefined;
  return (await findRunArtifactUri(ctx.db, id)) === undefined ? id : undefined;
}

/** Model links to logged models semreg has; the rest (deleted or filtered out in the source) are reported. */
async function knownModels<T extends { model_id: string }>(
  ctx: ImportContext,
  db: Queryable,
  runId: string,
  links: T[],
): Promise<T[]> {
  const kept: T[] = [];
  for (const link of links) {
    const id = ctx.loggedModelIds.get(link.model_id) ?? link.model_id;
    if (await getLoggedModel(db, id, { allowDeleted: true }).catch(() => undefined))
      kept.push({ ...link, model_id: id });
    else
      ctx.report.note(
        `run ${runId}: link to logged model ${link.model_id} dropped (not in the source's logged models)`,
      );
  }
  return kept;
}

export async function importRun(ctx: ImportContext, run: SourceRun, targetExperiment: string): Promise<void> {
  const id = sourceRunId(run);
  const keys = [...new Set((run.data?.metrics ?? []).map((m) => m.key))];
  const byKey = new Map<string, SourceMetric[]>();
  // The source answers one key per request: several at once hide its latency.
  await forEachConcurrently(keys, HISTORY_REQUESTS_PER_RUN, ctx.signal, async (key) => {
    byKey.set(key, await metricHistory(ctx, id, key));
  });
  ctx.signal.throwIfAborted();
  const histories = keys.flatMap((key) => byKey.get(key) ?? []);
  const params = run.data?.params ?? [];
  const tags = run.data?.tags ?? [];
  const startTime = int64(run.info.start_time, Date.now());
  const keepId = await targetRunId(ctx, id);
  if (!keepId)
    ctx.report.note(
      `run ${id}: semreg cannot use this run id (taken or not 32 hex digits); it got a new one`,
    );
  const runName = run.info.run_name || tags.find((t) => t.key === RUN_NAME_TAG)?.value;

  const newId = await runWithEventContext({ replayTime: startTime }, () =>
    ctx.db.transaction(async (trx) => {
      const created = await createRun(
        trx,
        {
          experiment_id: targetExperiment,
          user_id: run.info.user_id,
          run_name: runName,
          start_time: startTime,
          tags: tags.filter((t) => t.key !== RUN_NAME_TAG),
        },
        keepId ? { runId: keepId } : undefined,
      );
      const runId = created.info.run_id as string;
      for (const batch of chunks(params, MAX_BATCH_PARAMS)) {
        await logBatch(trx, runId, { params: batch }, JSON.stringify(batch).length);
      }
      // Only imported logged models' metrics were collected: no link to check.
      const modelMetrics = ctx.loggedModelMetrics.get(id) ?? [];
      for (const batch of chunks([...histories, ...modelMetrics], MAX_BATCH_METRICS)) {
        await logBatch(trx, runId, { metrics: batch }, JSON.stringify(batch).length);
      }
      const datasets = run.inputs?.dataset_inputs ?? [];
      const modelInputs = await knownModels(ctx, trx, id, run.inputs?.model_inputs ?? []);
      if (datasets.length || modelInputs.length)
        await logInputs(trx, runId, { datasets, models: modelInputs });
      const outputs = await knownModels(ctx, trx, id, run.outputs?.model_outputs ?? []);
      if (outputs.length) await logOutputs(trx, runId, outputs);
      await updateRun(trx, runId, {
        status: run.info.status ?? 'FINISHED',
        ...(run.info.end_time !== undefined ? { end_time: int64(run.info.end_time) } : {}),
      });
      if (run.info.lifecycle_stage === 'deleted') await deleteRun(trx, runId);
      await ctx.ledger.complete(trx, 'run', id, runId, {
        experimentId: targetExperiment,
        sourceArtifactUri: run.info.artifact_uri ?? null,
        metricPoints: histories.length,
      });
      return runId;
    }),
  );
  ctx.runIds.set(id, newId);
  ctx.report.metricPoints += histories.length;
}

export async function importRuns(ctx: ImportContext, experimentIds: string[]): Promise<void> {
  const done = await ctx.ledger.completed(ctx.db, 'run');
  for (const [id, entry] of done) if (entry.targetId) ctx.runIds.set(id, entry.targetId);
  ctx.progress.start('runs', 0);
  for (const sourceExperiment of experimentIds) {
    const target = ctx.experimentIds.get(sourceExperiment);
    if (!target || ctx.signal.aborted) continue;
    const runs = await listSourceRuns(ctx, sourceExperiment);
    ctx.progress.grow(runs.length);
    await forEachConcurrently(runs, ctx.options.concurrency, ctx.signal, async (run) => {
      const id = sourceRunId(run);
      if (done.has(id)) {
        ctx.report.alreadyImported('runs');
      } else {
        try {
          await importRun(ctx, run, target);
          ctx.report.imported('runs');
        } catch (err) {
          if (ctx.signal.aborted) return;
          ctx.report.failed('runs', id, errorMessage(err));
          await ctx.ledger.fail(ctx.db, 'run', id, errorMessage(err));
        }
      }
      ctx.progress.tick();
    });
  }
  ctx.progress.stop();
}
