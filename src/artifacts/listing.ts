import type { Queryable } from '../db/knex';
import { missingParameter, notFound } from '../errors';
import type { ArtifactStore, ListedEntry } from '../storage/artifact-store';
import { normaliseRelativePath } from '../storage/safe-path';
import { findRunArtifactUri } from '../tracking/runs';
import { artifactUriToKey, keyUnder } from './artifact-uri';

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

/**
 * MLflow's `artifacts/list` of a run (REST and GraphQL): `path` is relative to the run's artifact root and so
 * are the answered paths. Everything is listed in one page, so there is never a next page token.
 */
export async function listRunArtifacts(
  ctx: { db: Queryable; storage: ArtifactStore },
  runId: string | undefined,
  path: string | undefined,
): Promise<{ root_uri: string; files: FileInfoJson[] }> {
  if (!runId) throw missingParameter('run_id');
  const rel = normaliseRelativePath(path ?? '');
  const rootUri = await findRunArtifactUri(ctx.db, runId);
  if (!rootUri) throw notFound(`Run with id=${runId} not found`);
  const key = keyUnder(await artifactUriToKey(ctx.db, rootUri), rel);
  return { root_uri: rootUri, files: await listFileInfos(ctx.storage, key, rel) };
}
