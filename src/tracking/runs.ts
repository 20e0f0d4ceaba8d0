import type { Queryable } from '../db/knex';

/**
 * The artifact root of a run (`mlflow-artifacts:/<exp>/<run_id>/artifacts`), for the registry's `runs:/`
 * sources. Deleted runs resolve too: MLflow's get_run returns them.
 */
export async function findRunArtifactUri(db: Queryable, runId: string): Promise<string | undefined> {
  const row = await db('runs').select('artifact_uri').where({ run_uuid: runId }).first();
  return row?.artifact_uri;
}
