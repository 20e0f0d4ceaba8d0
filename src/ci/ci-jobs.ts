import type { Queryable } from '../db/knex';
import { notFound } from '../errors';
import { modelAllowed } from '../auth/model-pattern';

/**
 * Everything one CI job produced (semreg-api.md "CI jobs"): model versions, package files and tracking
 * runs whose `ci_job_id` column is the job id. A token restricted to model patterns sees only its models'
 * versions and files.
 */
export interface CiJobReport {
  job_id: string;
  job_url?: string;
  pipeline_id?: string;
  commit_sha?: string;
  model_versions: Array<{ name: string; version: string; semver: string }>;
  files: Array<{ model: string; semver: string; path: string; sha256: string }>;
  runs: Array<{ run_id: string; experiment_id: string }>;
}

interface CiColumns {
  ci_job_url: string | null;
  ci_pipeline_id: string | null;
  ci_commit_sha: string | null;
}

export async function getCiJobReport(
  db: Queryable,
  jobId: string,
  modelPatterns: readonly string[] = [],
): Promise<CiJobReport> {
  const versions: Array<CiColumns & { name: string; version: number; semver: string }> = await db(
    'model_versions as mv',
  )
    .join('registered_models as rm', 'rm.id', 'mv.registered_model_id')
    .where('mv.ci_job_id', jobId)
    .orderBy([{ column: 'rm.name' }, { column: 'mv.version' }])
    .select('rm.name', 'mv.version', 'mv.semver', 'mv.ci_job_url', 'mv.ci_pipeline_id', 'mv.ci_commit_sha');
  const files: Array<CiColumns & { model: string; semver: string; path: string; sha256: string }> = await db(
    'package_files as pf',
  )
    .join('model_versions as mv', 'mv.id', 'pf.model_version_id')
    .join('registered_models as rm', 'rm.id', 'mv.registered_model_id')
    .where('pf.ci_job_id', jobId)
    .orderBy([{ column: 'rm.name' }, { column: 'mv.version' }, { column: 'pf.path' }])
    .select(
      'rm.name as model',
      'mv.semver',
      'pf.path',
      'pf.sha256',
      'pf.ci_job_url',
      'pf.ci_pipeline_id',
      'pf.ci_commit_sha',
    );
  const runs: Array<CiColumns & { run_uuid: string; experiment_id: number | string }> = await db('runs')
    .where('ci_job_id', jobId)
    .orderBy('start_time')
    .select('run_uuid', 'experiment_id', 'ci_job_url', 'ci_pipeline_id', 'ci_commit_sha');

  const visibleVersions = versions.filter((row) => modelAllowed(modelPatterns, row.name));
  const visibleFiles = files.filter((row) => modelAllowed(modelPatterns, row.model));
  const all: CiColumns[] = [...visibleVersions, ...visibleFiles, ...runs];
  if (all.length === 0)
    throw notFound(`No model version, package file or run was produced by CI job '${jobId}'.`);
  const first = (column: keyof CiColumns) => all.find((row) => row[column] !== null)?.[column] ?? undefined;
  const jobUrl = first('ci_job_url');
  const pipelineId = first('ci_pipeline_id');
  const commitSha = first('ci_commit_sha');
  return {
    job_id: jobId,
    ...(jobUrl && { job_url: jobUrl }),
    ...(pipelineId && { pipeline_id: pipelineId }),
    ...(commitSha && { commit_sha: commitSha }),
    model_versions: visibleVersions.map((row) => ({
      name: row.name,
      version: String(row.version),
      semver: row.semver,
    })),
    files: visibleFiles.map((row) => ({
      model: row.model,
      semver: row.semver,
      path: row.path,
      sha256: row.sha256,
    })),
    runs: runs.map((row) => ({ run_id: row.run_uuid, experiment_id: String(row.experiment_id) })),
  };
}
