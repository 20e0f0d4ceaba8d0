import { ApiError } from './client';
import { downloadUris, getPolicies } from './lifecycle';
import { getModelVersion, getRegisteredModel, versionFileUrl } from './registry';
import type { ListedFile, ModelVersion, StagePolicy } from './types';

const MLFLOW_STAGES: StagePolicy = {
  stages: ['None', 'Staging', 'Production', 'Archived'].map((stage) => ({ name: stage })),
  transitions: [],
};

/**
 * The version's files: every stored file has a signed download link (`download-uris`), whose query carries
 * its sha256; the size comes from a HEAD request per file (FilesTable). One listing for package and MLflow
 * model versions alike.
 */
async function filesOf(version: ModelVersion): Promise<ListedFile[]> {
  const links = await downloadUris(version.name, version.version).catch((err: unknown) => {
    // A version whose source semreg does not store (runs:/ elsewhere, gs://…) has no files to link.
    if (err instanceof ApiError && (err.status === 404 || err.status === 400))
      return {} as Record<string, string>;
    throw err;
  });
  return Object.entries(links)
    .map(([path, url]): ListedFile => ({
      path,
      sha256: new URL(url, location.origin).searchParams.get('sha256') ?? undefined,
      downloadUrl: url,
      previewUrl: versionFileUrl(version.name, version.version, path),
    }))
    .sort((a, b) => a.path.localeCompare(b.path));
}

export async function loadVersion(name: string, version: string) {
  const [mv, model, policies] = await Promise.all([
    getModelVersion(name, version),
    getRegisteredModel(name),
    // Reading policies may need more than this token has; promotion still works against MLflow's stages.
    getPolicies().catch(() => undefined),
  ]);
  const files = await filesOf(mv.model_version);
  const policy = policies ? (policies.models?.[name] ?? policies.default) : MLFLOW_STAGES;
  return { version: mv.model_version, model: model.registered_model, policy, files };
}
