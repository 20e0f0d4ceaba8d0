import type { Queryable } from '../db/knex';

/**
 * Where a logged model's files live, for the registry: a model version created with
 * `source = "models:/m-…"` resolves to this location in get-download-uri (mlflow-compat.md §4.3).
 * Deleted logged models resolve to nothing, like MLflow's get_logged_model.
 */
export async function findLoggedModelArtifactUri(
  db: Queryable,
  modelId: string,
): Promise<{ artifactUri: string; sourceRunId?: string } | undefined> {
  const row = await db('logged_models')
    .select('artifact_uri', 'source_run_id')
    .where({ model_id: modelId, lifecycle_stage: 'active' })
    .first();
  if (!row) return undefined;
  return { artifactUri: row.artifact_uri, ...(row.source_run_id ? { sourceRunId: row.source_run_id } : {}) };
}
