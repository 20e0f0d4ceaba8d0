/**
 * Why a backup or a restore stopped, worded for the operator on one line (the CLI prints the message alone).
 * `kind` lets the CLI choose its exit code without this layer knowing about the CLI.
 */
export type BackupErrorKind =
  /** The command line or the environment names something unusable (a non-empty target directory). */
  | 'usage'
  /** The backup is incomplete or was altered, or a stored file differs from what the database recorded. */
  | 'integrity'
  /** The target is not one restore may write (not empty, a newer schema than this semreg knows). */
  | 'refused'
  /** The database or the store could not be reached, or changed too often while the backup ran. */
  | 'unavailable';

export class BackupError extends Error {
  constructor(
    message: string,
    readonly kind: BackupErrorKind,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'BackupError';
  }
}
