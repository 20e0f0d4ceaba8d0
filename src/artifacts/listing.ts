import type { ArtifactStore, ListedEntry } from '../storage/artifact-store';

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
  return toFileInfos(await storage.list(key), display);
}

export function toFileInfos(entries: readonly ListedEntry[], display = ''): FileInfoJson[] {
  return entries.map((entry) => ({
    path: display ? `${display}/${entry.name}` : entry.name,
    is_dir: entry.isDir,
    ...(entry.isDir ? {} : { file_size: entry.size }),
  }));
}
