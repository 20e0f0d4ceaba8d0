import { firstLine } from '../startup/startup-failure';
import type { ArtifactStore } from '../storage/artifact-store';
import { BackupError } from './backup-error';
import type { Manifest } from './manifest';
import { readManifest } from './manifest';
import { assertEmptyDatabase, migrationsFor, restoreDatabase } from './restore-database';
import { assertEmptyStore, removeRestoredFiles, restoreFiles } from './restore-files';
import type { RestoreTarget } from './restore-target';
import { verifyBackup } from './verify-backup';

/**
 * PostgreSQL refusing a row (classes 22 data exception, 23 integrity constraint) means the backup's data is
 * not what semreg wrote; anything else is the database failing. The transaction rolled back either way.
 */
function explainDatabaseFailure(err: unknown): never {
  if (err instanceof BackupError) throw err;
  const code = String((err as { code?: unknown }).code ?? '');
  const damaged = code.startsWith('22') || code.startsWith('23');
  throw new BackupError(
    `restoring the database failed (${firstLine(err).replace(/^.* - /, '')}); nothing was restored${damaged ? ': the backup holds rows semreg would not have written' : ''}`,
    damaged ? 'integrity' : 'unavailable',
    { cause: err },
  );
}

export type RestoreProgress =
  | { readonly phase: 'verify'; readonly total: number; readonly bytes: number }
  | { readonly phase: 'verified-file'; readonly rel: string; readonly bytes: number }
  | { readonly phase: 'files'; readonly total: number; readonly bytes: number }
  | { readonly phase: 'file'; readonly key: string; readonly bytes: number }
  | { readonly phase: 'table'; readonly table: string; readonly rows: number };

export interface RestoreOptions {
  readonly dir: string;
  readonly openTarget: () => Promise<RestoreTarget>;
  /** The target's artifact store, named as messages should name it. */
  readonly openStore: () => Promise<{ store: ArtifactStore; where: string; close: () => Promise<void> }>;
  readonly onProgress?: (event: RestoreProgress) => void;
  /** Stops between files and tables (Ctrl-C); what was written is undone as after any failure. */
  readonly signal?: AbortSignal;
}

type Progress = (event: RestoreProgress) => void;
type OpenedStore = Awaited<ReturnType<RestoreOptions['openStore']>>;

interface Load {
  readonly target: RestoreTarget;
  readonly dir: string;
  readonly manifest: Manifest;
  readonly onProgress: Progress;
  readonly signal?: AbortSignal;
}

async function loadDatabase({ target, dir, manifest, onProgress, signal }: Load): Promise<void> {
  await restoreDatabase(target.db, dir, manifest, {
    where: target.where,
    onTable: (table, rows) => onProgress({ phase: 'table', table, rows }),
    signal,
  }).catch((err: unknown) => {
    signal?.throwIfAborted();
    explainDatabaseFailure(err);
  });
}

/** Files first, the database last; when either fails the files go again, leaving the target as it was. */
async function loadFilesAndDatabase(store: OpenedStore, load: Load): Promise<void> {
  const { manifest, onProgress } = load;
  await assertEmptyStore(store.store, store.where);
  try {
    const { count, bytes } = manifest.stored_files;
    onProgress({ phase: 'files', total: count, bytes });
    const onFile = (key: string, size: number) => onProgress({ phase: 'file', key, bytes: size });
    await restoreFiles(store.store, load.dir, manifest, onFile, load.signal);
    await loadDatabase(load);
  } catch (err) {
    await removeRestoredFiles(store.store, manifest);
    throw err;
  }
}

/**
 * Restores a backup into an empty target, refusing before the first write when the backup is incomplete or
 * altered, was made by a newer semreg, or the target is not empty. The database is written in one
 * transaction, after the files: until it commits the target has no registry at all. An S3-store backup has
 * no files to write (the bucket kept them).
 */
export async function restoreBackup(options: RestoreOptions): Promise<Manifest> {
  const { dir, signal, onProgress = () => undefined } = options;
  const manifest = await readManifest(dir);
  migrationsFor(manifest);
  const entries = Object.values(manifest.files);
  onProgress({ phase: 'verify', total: entries.length, bytes: entries.reduce((s, f) => s + f.size, 0) });
  await verifyBackup(dir, manifest, (rel, bytes) => {
    signal?.throwIfAborted();
    onProgress({ phase: 'verified-file', rel, bytes });
  });

  const target = await options.openTarget();
  try {
    await assertEmptyDatabase(target.db, target.where);
    const load: Load = { target, dir, manifest, onProgress, signal };
    if (manifest.store.kind === 'local') {
      const store = await options.openStore();
      try {
        await loadFilesAndDatabase(store, load);
      } finally {
        await store.close();
      }
    } else {
      await loadDatabase(load);
    }
  } finally {
    await target.close();
  }
  return manifest;
}
