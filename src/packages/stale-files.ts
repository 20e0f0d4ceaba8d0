import type { Db } from '../db/knex';
import type { ArtifactStore } from '../storage/artifact-store';
import { deleteStoredTree } from '../storage/stored-files';
import { findPackageFile } from './package-files';
import { acquireUploadLock, LockKey, releaseUploadLock } from './upload-lock';

/**
 * A package version deleted through MLflow's `model-versions/delete` (rather than `DELETE …?all=true`) leaves
 * its files in `packages/<id>/<semver>/`. When that semver is uploaded again, the new version reuses the
 * folder, and the stock client would download the old files with the new ones. So when an upload creates a
 * version, every file in the folder that no package row describes is removed — each under its path's upload
 * lock, so a file another upload is writing right now (it holds that lock) is never touched.
 */
async function listTree(store: ArtifactStore, dir: string, prefix = ''): Promise<string[]> {
  const paths: string[] = [];
  for (const entry of await store.list(prefix ? `${dir}/${prefix}` : dir)) {
    const path = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDir) paths.push(...(await listTree(store, dir, path)));
    else paths.push(path);
  }
  return paths;
}

export async function removeStaleFiles(
  services: { db: Db; store: ArtifactStore },
  dir: string,
  modelVersionId: number,
  lockBase: Omit<LockKey, 'path'>,
): Promise<void> {
  const { db, store } = services;
  for (const path of await listTree(store, dir)) {
    const lock = { ...lockBase, path };
    try {
      await acquireUploadLock(db, lock);
    } catch {
      continue; // being uploaded (by this request or another): not stale
    }
    try {
      if (!(await findPackageFile(db, modelVersionId, path)))
        await deleteStoredTree({ db, storage: store }, `${dir}/${path}`);
    } finally {
      await releaseUploadLock(db, lock);
    }
  }
}
