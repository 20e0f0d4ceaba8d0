import type { Queryable } from '../db/knex';
import { listSourceExperiments } from './import-experiments';
import type { ImportOptions } from './import-context';
import { listSourceLoggedModels } from './import-logged-models';
import { listSourceModels, listSourceVersions } from './import-registry';
import { listSourceRuns, sourceRunId } from './import-runs';
import type { Ledger, LedgerKind } from './ledger';
import type { MlflowSource } from './mlflow-source';

/**
 * `--dry-run`: what an import would move now, read from the source and the ledger only (nothing is written,
 * not even the ledger's table). One line per experiment and registered model, then the totals.
 */
export interface DryRunContext {
  readonly db: Queryable | undefined;
  readonly source: MlflowSource;
  readonly ledger: Ledger;
  readonly options: ImportOptions;
}

async function doneIds(ctx: DryRunContext, kind: LedgerKind): Promise<Set<string>> {
  if (!ctx.db || !(await ctx.db.schema.hasTable('import_ledger'))) return new Set();
  return new Set((await ctx.ledger.completed(ctx.db, kind)).keys());
}

export async function dryRun(ctx: DryRunContext, out: (line: string) => void): Promise<void> {
  const [experimentsDone, runsDone, modelsDone, versionsDone, loggedDone] = await Promise.all(
    (['experiment', 'run', 'registered-model', 'model-version', 'logged-model'] as const).map((k) =>
      doneIds(ctx, k),
    ),
  );
  const totals = { experiments: 0, runs: 0, loggedModels: 0, models: 0, versions: 0, done: 0 };
  for (const experiment of await listSourceExperiments(ctx)) {
    const runs = await listSourceRuns(ctx, experiment.experiment_id);
    const logged = await listSourceLoggedModels(ctx, experiment.experiment_id);
    const newRuns = runs.filter((r) => !runsDone.has(sourceRunId(r))).length;
    const newLogged = logged.filter((m) => !loggedDone.has(m.info.model_id)).length;
    const known = experimentsDone.has(experiment.experiment_id);
    if (!known) totals.experiments += 1;
    totals.runs += newRuns;
    totals.loggedModels += newLogged;
    totals.done += runs.length - newRuns + (known ? 1 : 0);
    out(
      `experiment '${experiment.name}' (${experiment.lifecycle_stage ?? 'active'}): ${known ? 'already imported' : 'new'}, ${newRuns} of ${runs.length} runs and ${newLogged} of ${logged.length} logged models to import`,
    );
  }
  for (const model of await listSourceModels(ctx)) {
    const versions = await listSourceVersions(ctx, model.name);
    const newVersions = versions.filter((v) => !versionsDone.has(`${v.name}/${v.version}`));
    const known = modelsDone.has(model.name);
    if (!known) totals.models += 1;
    totals.versions += newVersions.length;
    out(
      `registered model '${model.name}': ${known ? 'already imported' : 'new'}, versions to import: ${newVersions.map((v) => v.version).join(', ') || 'none'}`,
    );
  }
  out(
    `would import: ${totals.experiments} experiments, ${totals.runs} runs (with their artifacts), ${totals.loggedModels} logged models, ${totals.models} registered models, ${totals.versions} model versions`,
  );
}
