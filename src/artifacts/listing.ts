import type { ArtifactStore } from '../storage/artifact-store';

/** MLflow's `FileInfo` (mlflow/protos/service.proto): `file_size` only for files. */
export interface FileInfoJson {
  path: string;
  is_dir: boolean;
  file_size?: number;
}

/**
 * Direct children of `key`. `display` is prepended to each basename: '' for the mlflow-artifacts listing
 * (which answers basenames, §3.8), the path relative to the run root for the UI's `artifacts/list` (§3.4).
 */
export async function listFileInfos(
  storage: ArtifactStore,
  key: string,
  display = '',
): Promise<FileInfoJson[]> {
  const entries = await storage.list(key);
  return entries.map((entry) => ({
    path: display ? `${display}/${entry.name}` : entry.name,
    is_dir: entry.isDir,
    ...(entry.isDir ? {} : { file_size: entry.size }),
  }));
}
