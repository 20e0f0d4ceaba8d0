import type { Db } from '../db/knex';
import type { ArtifactStore } from '../storage/artifact-store';
import { deleteStoredTree } from '../storage/stored-files';
import { acquireUploadLock, LockKey, releaseUploadLock } from './upload-lock';

/**
 * Removes the files of a package folder that no `package_files` row describes: after a deletion, and when an
 * upload creates a version (leftovers of a crash). Each file is looked at under its path's upload lock, so
 * a file another upload is writing right now (it holds that lock) is skipped, and one it has committed has a
 * row by then and is kept. Without the lock, a re-upload landing between a deletion's commit and its byte
 * removal would lose its bytes while its row says they exist. Folders left empty go too.
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

/** `paths`: only these files of the folder (default: every file in it). */
export async function removeUnreferencedFiles(
  services: { db: Db; store: ArtifactStore },
  folder: string,
  lockBase: Omit<LockKey, 'path'>,
  paths?: readonly string[],
): Promise<void> {
  const { db, store } = services;
  for (const path of paths ?? (await listTree(store, folder))) {
    const lock = { ...lockBase, path };
    try {
      await acquireUploadLock(db, lock);
    } catch {
      continue; // being uploaded (by this request or another): that upload decides what stays
    }
    try {
      const key = `${folder}/${path}`;
      const referenced = await db('package_files').where({ storage_key: key }).first('id');
      if (!referenced) await deleteStoredTree({ db, storage: store }, key);
    } finally {
      await releaseUploadLock(db, lock);
    }
  }
  await store.removeEmptyDirectories(folder);
}
