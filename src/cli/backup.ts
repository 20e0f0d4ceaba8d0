import { prepareBackupDirectory } from '../backup/backup-directory';
import { BackupProgress, createBackup } from '../backup/create-backup';
import type { Manifest } from '../backup/manifest';
import { openServerDatabase } from '../startup/server-database';
import { LocalDiskStore } from '../storage/local-disk-store';
import {
  asCliErrors,
  Env,
  fileProgress,
  interruptible,
  Io,
  plural,
  rowCount,
  settings,
} from './backup-support';
import { requireExistingDatabase } from './existing-database';

/**
 * `semreg backup <dir>` (docs/cli.md, docs/operations.md). Like `storage migrate` it talks to no server: it
 * uses the server's settings (DATABASE_URL or DATA_DIR, ARTIFACT_ROOT, ARTIFACTS_DESTINATION) and runs beside
 * a live server, reading the embedded PostgreSQL that server started.
 */

/** A backup reads while the server serves: a few connections, never the server's whole pool. */
const POOL_SIZE = 3;

export async function runBackup(
  dir: string,
  options: { progress: boolean },
  env: Env,
  io: Io,
): Promise<void> {
  await asCliErrors('backup', async () => {
    const config = settings(env);
    await prepareBackupDirectory(dir);
    await requireExistingDatabase(config);
    const database = await openServerDatabase(config, POOL_SIZE);
    const s3 = config.artifactsDestination;
    const store = s3 ? undefined : await LocalDiskStore.open(config.artifactRoot);
    const files = fileProgress(options.progress, 'backup', io.err);
    const onProgress = (event: BackupProgress): void => {
      if (event.phase === 'files') files.start(event.total, event.bytes);
      else if (event.phase === 'file') files.file(event.key);
      else if (event.phase === 'retry') {
        files.stop();
        io.err(
          `backup: ${plural(event.changed, 'file')} changed on the server after the snapshot; taking a new one`,
        );
      }
    };
    let manifest: Manifest;
    try {
      manifest = await interruptible(
        `interrupted: ${dir} holds an incomplete backup (no manifest.json, so it cannot be restored); delete it and run the backup again`,
        (signal) =>
          createBackup({
            db: database.db,
            store,
            storeKind: s3 ? { kind: 's3', bucket: s3.bucket, prefix: s3.prefix } : { kind: 'local' },
            dir,
            onProgress,
            signal,
          }),
      );
    } finally {
      files.stop();
      store?.close();
      await database.close();
    }
    const { count, bytes } = manifest.stored_files;
    io.out(
      `backup written to ${dir}: migration ${manifest.migration_head}, ${plural(manifest.tables.length, 'table')} (${plural(rowCount(manifest), 'row')}), ${plural(count, 'file')} (${bytes} bytes)${s3 ? ` listed from s3://${s3.bucket}/${s3.prefix} (the bucket's versions hold the bytes)` : ''}`,
    );
  });
}
