import fs from 'node:fs';
import type { ArtifactStore } from '../storage/artifact-store';
import { BackupError } from './backup-error';
import { FILES_DIR, pathInBackup } from './backup-layout';
import type { Manifest } from './manifest';

const TEMP_DIR = '.tmp';

/** Refuses a store that holds files already: restored rows would describe a mix of two registries. */
export async function assertEmptyStore(store: ArtifactStore, where: string): Promise<void> {
  const entries = (await store.list('')).filter((entry) => entry.name !== TEMP_DIR);
  if (entries.length > 0)
    throw new BackupError(
      `the artifact store ${where} is not empty (it holds ${entries
        .map((e) => e.name)
        .slice(0, 3)
        .join(', ')}${entries.length > 3 ? ', …' : ''}): restore only into an empty one`,
      'refused',
    );
}

/** The backup's stored files, as store key → backup-relative path. */
export function backedUpFiles(manifest: Manifest): [key: string, rel: string][] {
  const prefix = `${FILES_DIR}/`;
  return Object.keys(manifest.files)
    .filter((rel) => rel.startsWith(prefix))
    .map((rel) => [rel.slice(prefix.length), rel]);
}

/**
 * Streams every backed-up file into the store through its ordinary `put`, which publishes a file only once
 * its bytes hash to the sha256 the manifest (and the database) recorded.
 */
export async function restoreFiles(
  store: ArtifactStore,
  dir: string,
  manifest: Manifest,
  onFile: (key: string, bytes: number) => void = () => undefined,
  signal?: AbortSignal,
): Promise<void> {
  for (const [key, rel] of backedUpFiles(manifest)) {
    signal?.throwIfAborted();
    const expected = manifest.files[rel];
    // The recorded size is the limit: a file grown since the backup is refused, and an S3 store sizes its
    // multipart parts from it.
    await store.put(key, fs.createReadStream(pathInBackup(dir, rel)), {
      maxBytes: expected.size,
      expectedSha256: expected.sha256,
      signal,
    });
    onFile(key, expected.size);
  }
}

/** Undoes restoreFiles after the database part failed, so the same restore can simply be run again. */
export async function removeRestoredFiles(store: ArtifactStore, manifest: Manifest): Promise<void> {
  for (const [key] of backedUpFiles(manifest)) await store.delete(key).catch(() => undefined);
  // The store never removes its root: its top-level folders are emptied one by one.
  for (const entry of await store.list('').catch(() => []))
    if (entry.isDir && entry.name !== TEMP_DIR)
      await store.removeEmptyDirectories(entry.name).catch(() => undefined);
}
