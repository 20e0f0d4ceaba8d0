import type { S3Destination } from '../config';
import { importArtifacts } from './import-artifacts';
import { importExperiments, listSourceExperiments, syncExperimentLifecycle } from './import-experiments';
import type { ImportContext } from './import-context';
import { importLoggedModels } from './import-logged-models';
import { importRegistry, listSourceModels } from './import-registry';
import { importRuns } from './import-runs';

/**
 * The phases of `semreg import-mlflow`, in dependency order: experiments (runs and logged models live in
 * them), logged models (runs link to them), runs, the files of both, the registry (versions point at runs,
 * logged models and their files), and last the deletions of experiments the source has deleted. Every
 * phase skips what the ledger says is done, so a second run after any interruption continues.
 */
export async function importFromMlflow(ctx: ImportContext, store: S3Destination | undefined): Promise<void> {
  const experiments = await listSourceExperiments(ctx);
  await importExperiments(ctx, experiments);
  const ids = experiments.map((e) => e.experiment_id).filter((id) => ctx.experimentIds.has(id));
  if (!ctx.signal.aborted) await importLoggedModels(ctx, ids);
  if (!ctx.signal.aborted) await importRuns(ctx, ids);
  if (!ctx.signal.aborted) await importArtifacts(ctx);
  if (!ctx.signal.aborted) await importRegistry(ctx, await listSourceModels(ctx), store);
  if (!ctx.signal.aborted) await syncExperimentLifecycle(ctx, experiments);
}
