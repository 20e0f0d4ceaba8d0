import path from 'node:path';
import fs from 'node:fs/promises';
import type { Db } from '../db/knex';
import { MlflowError } from '../errors';
import type { ArtifactStore } from '../storage/artifact-store';
import { storedFilePath } from './backup-layout';
import type { RecordedFile } from './dump-database';
import { writeHashed } from './file-digest';
import type { ManifestFile } from './manifest';

/**
 * Copies the files a database snapshot records from the store into the backup, each checked against the
 * sha256 the snapshot recorded.
 *
 * A running server may delete or overwrite a file after the snapshot. While one file is copied its row is
 * held `FOR SHARE`: semreg writes a file's row before it renames new bytes into place and deletes rows before
 * their files (stored-files.ts), so neither can touch the file mid-copy, and writers wait for one file at
 * most, never for the whole backup. A row that already differs from the snapshot means the bytes the snapshot
 * describes are gone: the file is reported `changed` and the caller takes a new snapshot.
 */
export interface CopyReport {
  /** Backup-relative path → size and sha256, for every file now in the backup. */
  readonly files: Record<string, ManifestFile>;
  readonly bytes: number;
  /** Changed on the server after the snapshot. */
  readonly changed: string[];
  /** Missing from the store, or bytes that differ from their unchanged record: damage, not a race. */
  readonly damaged: string[];
}

const LOCK_WAIT_MS = 2000;
const LOCK_NOT_AVAILABLE = '55P03';

type Outcome = 'copied' | 'kept' | 'changed' | 'damaged';

export interface CopyOptions {
  readonly db: Db;
  readonly store: ArtifactStore;
  readonly dir: string;
  readonly recorded: readonly RecordedFile[];
  /** Files an earlier attempt copied: the same key with the same sha256 is not read again. */
  readonly previous: Readonly<Record<string, ManifestFile>>;
  readonly onFile?: (key: string, bytes: number) => void;
  /** Stops before the next file (Ctrl-C); the backup then has no manifest. */
  readonly signal?: AbortSignal;
}

async function copyOne(options: CopyOptions, file: RecordedFile): Promise<Outcome> {
  const rel = storedFilePath(file.key);
  if (options.previous[rel]?.sha256 === file.sha256) return 'kept';
  const target = path.join(options.dir, rel);
  return options.db.transaction(async (tx) => {
    // A writer holding this row may itself wait for a row the caller's guard holds (create-backup.ts):
    // waiting for it would never end, so a row busy for this long counts as changed.
    await tx.raw(`SET LOCAL lock_timeout = '${LOCK_WAIT_MS}ms'`);
    let live: { sha256: string } | undefined;
    try {
      live = await tx('stored_files').where({ key: file.key }).forShare().first('sha256');
    } catch (err) {
      if ((err as { code?: string }).code === LOCK_NOT_AVAILABLE) return 'changed';
      throw err;
    }
    if (live?.sha256 !== file.sha256) return 'changed';
    let body;
    try {
      body = await options.store.get(file.key);
    } catch (err) {
      if (err instanceof MlflowError && err.errorCode === 'RESOURCE_DOES_NOT_EXIST') return 'damaged';
      throw err;
    }
    const written = await writeHashed(body.stream, target);
    if (written.sha256 === file.sha256) return 'copied';
    await fs.rm(target, { force: true });
    return 'damaged';
  });
}

export async function copyStoredFiles(options: CopyOptions): Promise<CopyReport> {
  const files: Record<string, ManifestFile> = {};
  const changed: string[] = [];
  const damaged: string[] = [];
  let bytes = 0;
  for (const file of options.recorded) {
    options.signal?.throwIfAborted();
    const outcome = await copyOne(options, file);
    if (outcome === 'changed') changed.push(file.key);
    else if (outcome === 'damaged') damaged.push(file.key);
    else {
      files[storedFilePath(file.key)] = { size: file.size, sha256: file.sha256 };
      bytes += file.size;
    }
    options.onFile?.(file.key, file.size);
  }
  // Files an earlier attempt copied that this snapshot no longer records must not reach the restore.
  for (const rel of Object.keys(options.previous))
    if (!(rel in files)) await fs.rm(path.join(options.dir, rel), { force: true });
  return { files, bytes, changed, damaged };
}
