import { S3_OBJECT_LIST } from '../backup/backup-layout';
import type { Manifest } from '../backup/manifest';
import { missingObjects } from '../backup/object-list';
import { restoreBackup, RestoreProgress } from '../backup/restore-backup';
import { openRestoreTarget } from '../backup/restore-target';
import type { Config } from '../config';
import { openArtifactStore } from '../storage/open-store';
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
import { CliError, EXIT } from './exit-codes';

/**
 * `semreg restore <dir>` (docs/cli.md, docs/operations.md): into an empty DATA_DIR or database, with the
 * server's settings, while no server runs on the target.
 */

/** The store the restored server will use, named as messages name it. */
async function openTargetStore(config: Config) {
  const store = await openArtifactStore(config);
  const s3 = config.artifactsDestination;
  const where = s3 ? `s3://${s3.bucket}/${s3.prefix}` : config.artifactRoot;
  return { store, where, close: async () => store.close() };
}

/**
 * An S3-store backup holds no bytes: the restored database is complete only when the bucket still has every
 * object it records. Checked by size (a HEAD each); deleted or overwritten ones come back from the bucket's
 * versions.
 */
async function checkBucket(
  config: Config,
  dir: string,
  backedUp: { bucket: string; prefix: string },
  count: number,
  io: Io,
): Promise<void> {
  const where = `s3://${backedUp.bucket}/${backedUp.prefix}`;
  const s3 = config.artifactsDestination;
  if (!s3 || s3.bucket !== backedUp.bucket || s3.prefix !== backedUp.prefix) {
    io.out(`the files stay in ${where}: start semreg with ARTIFACTS_DESTINATION=${where}`);
    return;
  }
  const store = await openArtifactStore(config);
  let missing: string[];
  try {
    missing = await missingObjects(store, dir);
  } finally {
    store.close();
  }
  if (missing.length > 0)
    throw new CliError(
      `the database was restored, but ${missing.length} of the ${count} objects it records are missing from ${where} or have another size (first: ${missing[0]}): restore them from the bucket's versions; ${dir}/${S3_OBJECT_LIST} lists every object with its sha256`,
      EXIT.INTEGRITY,
    );
  io.out(`all ${plural(count, 'object')} the database records are in ${where}`);
}

export async function runRestore(
  dir: string,
  options: { progress: boolean },
  env: Env,
  io: Io,
): Promise<void> {
  await asCliErrors('restore', async () => {
    const config = settings(env);
    const verify = fileProgress(options.progress, 'verify', io.err);
    const files = fileProgress(options.progress, 'restore', io.err);
    const onProgress = (event: RestoreProgress): void => {
      if (event.phase === 'verify') verify.start(event.total, event.bytes);
      else if (event.phase === 'verified-file') verify.file(event.rel);
      else if (event.phase === 'files') {
        verify.stop();
        files.start(event.total, event.bytes);
      } else if (event.phase === 'file') files.file(event.key);
    };
    let manifest: Manifest;
    try {
      manifest = await interruptible(
        'interrupted: nothing was restored (the database transaction rolled back, the files written were removed); run the same command again',
        (signal) =>
          restoreBackup({
            signal,
            dir,
            openTarget: () => openRestoreTarget(config),
            openStore: () => openTargetStore(config),
            onProgress,
          }),
      );
    } finally {
      verify.stop();
      files.stop();
    }
    io.out(
      `restored ${dir} (made ${manifest.created_at} by semreg ${manifest.semreg_version}): migration ${manifest.migration_head}, ${plural(manifest.tables.length, 'table')} (${plural(rowCount(manifest), 'row')}), ${plural(manifest.stored_files.count, 'file')} (${manifest.stored_files.bytes} bytes)`,
    );
    if (manifest.store.kind === 's3')
      await checkBucket(config, dir, manifest.store, manifest.stored_files.count, io);
  });
}
