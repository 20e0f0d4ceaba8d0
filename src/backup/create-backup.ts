import fs from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import type { Db } from '../db/knex';
import type { ArtifactStore } from '../storage/artifact-store';
import { SEMREG_VERSION } from '../version';
import { BackupError } from './backup-error';
import { BACKUP_FORMAT, S3_OBJECT_LIST } from './backup-layout';
import { copyStoredFiles } from './copy-stored-files';
import { DatabaseDump, dumpDatabase, RecordedFile } from './dump-database';
import { writeHashed } from './file-digest';
import { Manifest, ManifestFile, ManifestStore, writeManifest } from './manifest';

export type BackupProgress =
  | { readonly phase: 'table'; readonly table: string; readonly rows: number }
  | { readonly phase: 'files'; readonly total: number; readonly bytes: number }
  | { readonly phase: 'file'; readonly key: string; readonly bytes: number }
  | { readonly phase: 'retry'; readonly changed: number; readonly attempt: number };

export interface BackupOptions {
  readonly db: Db;
  /** The server's local-disk store, whose files are copied; none for an S3 store (the bucket keeps them). */
  readonly store?: ArtifactStore;
  readonly storeKind: ManifestStore;
  readonly dir: string;
  readonly onProgress?: (event: BackupProgress) => void;
  /** Stops between tables and files (Ctrl-C); the backup then has no manifest. */
  readonly signal?: AbortSignal;
}

/**
 * Snapshots taken before giving up when files keep changing under the backup. Each retry copies only what
 * changed since the previous attempt, so its window is short and it normally succeeds the second time.
 */
const MAX_ATTEMPTS = 4;
const GUARD_BATCH = 1000;

/** An S3 store's files stay in the bucket; the backup lists what the snapshot expects to find there. */
async function writeObjectList(dir: string, recorded: readonly RecordedFile[]): Promise<ManifestFile> {
  const lines = recorded.map((f) => `${JSON.stringify({ key: f.key, size: f.size, sha256: f.sha256 })}\n`);
  return writeHashed(Readable.from(lines), path.join(dir, S3_OBJECT_LIST));
}

function manifestOf(
  dump: DatabaseDump,
  storeKind: ManifestStore,
  files: Record<string, ManifestFile>,
): Manifest {
  return {
    format: BACKUP_FORMAT,
    semreg_version: SEMREG_VERSION,
    created_at: dump.takenAt,
    postgres_version: dump.postgresVersion,
    migration_head: dump.migrations.at(-1)!,
    migrations: dump.migrations,
    store: storeKind,
    tables: dump.tables,
    sequences: dump.sequences,
    stored_files: {
      count: dump.recordedFiles.length,
      bytes: dump.recordedFiles.reduce((sum, f) => sum + f.size, 0),
    },
    files,
  };
}

/**
 * Holds the rows of files that changed during an earlier attempt `FOR SHARE` across the next one, so a key
 * the server keeps overwriting cannot change between that snapshot and its copy and the backup converges.
 * Writers of those keys wait for one attempt; everyone else is never blocked.
 */
async function withGuard<T>(db: Db, keys: string[], work: () => Promise<T>): Promise<T> {
  if (keys.length === 0) return work();
  return db.transaction(async (tx) => {
    for (let i = 0; i < keys.length; i += GUARD_BATCH)
      await tx('stored_files')
        .whereIn('key', keys.slice(i, i + GUARD_BATCH))
        .forShare()
        .select('key');
    return work();
  });
}

type Attempt = { manifest: Manifest } | { copied: Record<string, ManifestFile>; changed: string[] };

/** One snapshot and the copy of its files: a manifest, or the files that changed meanwhile. */
async function attemptBackup(
  options: BackupOptions,
  previous: Record<string, ManifestFile>,
): Promise<Attempt> {
  const { dir, onProgress = () => undefined } = options;
  const dump = await dumpDatabase(options.db, dir, (table, rows) => {
    options.signal?.throwIfAborted();
    onProgress({ phase: 'table', table, rows });
  });
  const recorded = dump.recordedFiles;
  onProgress({ phase: 'files', total: recorded.length, bytes: recorded.reduce((s, f) => s + f.size, 0) });
  if (!options.store) {
    const list = await writeObjectList(dir, recorded);
    return { manifest: manifestOf(dump, options.storeKind, { ...dump.files, [S3_OBJECT_LIST]: list }) };
  }
  const report = await copyStoredFiles({
    db: options.db,
    store: options.store,
    dir,
    recorded,
    previous,
    signal: options.signal,
    onFile: (key, bytes) => onProgress({ phase: 'file', key, bytes }),
  });
  if (report.damaged.length > 0)
    throw new BackupError(
      `${report.damaged.length} stored file(s) are missing or differ from the sha256 the database recorded (${report.damaged.slice(0, 3).join(', ')}${report.damaged.length > 3 ? ', …' : ''}): the store is damaged; the backup in ${dir} is incomplete`,
      'integrity',
    );
  if (report.changed.length > 0) return { copied: report.files, changed: report.changed };
  return { manifest: manifestOf(dump, options.storeKind, { ...dump.files, ...report.files }) };
}

/**
 * Writes a complete backup of the database (and a local store's files) into `dir`, manifest last. `dir` is
 * new or empty (`prepareBackupDirectory`), checked by the caller before it opens the database.
 */
export async function createBackup(options: BackupOptions): Promise<Manifest> {
  const { dir, onProgress = () => undefined } = options;
  let copied: Record<string, ManifestFile> = {};
  const guarded = new Set<string>();
  for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt += 1) {
    const outcome = await withGuard(options.db, [...guarded], () => attemptBackup(options, copied));
    if ('manifest' in outcome) return finish(dir, outcome.manifest);
    copied = outcome.copied;
    for (const key of outcome.changed) guarded.add(key);
    onProgress({ phase: 'retry', changed: outcome.changed.length, attempt });
  }
  throw new BackupError(
    `files kept being deleted or replaced on the server during ${MAX_ATTEMPTS} attempts: the backup in ${dir} is incomplete; run it again when the server is less busy`,
    'unavailable',
  );
}

async function finish(dir: string, manifest: Manifest): Promise<Manifest> {
  await writeManifest(dir, manifest);
  // The directory entries of the files too, so a crash right after "done" cannot lose them.
  const handle = await fs.open(dir, 'r');
  await handle.sync().finally(() => handle.close());
  return manifest;
}
