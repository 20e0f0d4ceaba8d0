import path from 'node:path';
import { resolveSafePath } from '../storage/safe-path';
import { BackupError } from './backup-error';

/**
 * Where things live inside a backup directory. The manifest is written last, so a directory without one is
 * an interrupted backup, never mistaken for a complete one.
 */
export const BACKUP_FORMAT = 'semreg-backup/1';
export const MANIFEST_FILE = 'manifest.json';
/** One file per table, in COPY's text format (stable across PostgreSQL versions, unlike the binary one). */
export const DATABASE_DIR = 'database';
/** Local-disk store: every stored file under its store key. */
export const FILES_DIR = 'files';
/** S3 store: one JSON line per object (key, size, sha256); the bytes stay in the versioned bucket. */
export const S3_OBJECT_LIST = 's3-objects.jsonl';

export const tableFile = (table: string): string => `${DATABASE_DIR}/${table}.copy`;
export const storedFilePath = (key: string): string => `${FILES_DIR}/${key}`;

/**
 * A path named by a manifest, under the backup directory. A manifest may have been altered, so its paths go
 * through the same guard as every client-supplied artifact path.
 */
export function pathInBackup(dir: string, rel: string): string {
  try {
    return resolveSafePath(dir, rel);
  } catch {
    throw new BackupError(
      `the backup in ${dir} names a file outside itself (${JSON.stringify(rel)}): it was altered; use another backup`,
      'integrity',
    );
  }
}

export const manifestPath = (dir: string): string => path.join(dir, MANIFEST_FILE);
