import fs from 'node:fs/promises';
import { BackupError } from './backup-error';

const reason = (err: unknown): string => (err as NodeJS.ErrnoException).code ?? String(err);

/** A file in the way is named; a parent that is a file is left to mkdir to report. */
async function isFile(dir: string): Promise<undefined> {
  if ((await fs.stat(dir).catch(() => undefined))?.isFile())
    throw new BackupError(`the backup directory ${dir} is a file: give a new or empty directory`, 'usage');
  return undefined;
}

/**
 * The backup goes into a new or empty directory only: writing over another backup would leave a mix of two
 * that no manifest describes.
 */
export async function prepareBackupDirectory(dir: string): Promise<void> {
  const entries = await fs.readdir(dir).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return undefined;
    if (err.code === 'ENOTDIR') return isFile(dir);
    throw new BackupError(`cannot read the backup directory ${dir} (${reason(err)})`, 'usage');
  });
  if (entries && entries.length > 0)
    throw new BackupError(
      `the backup directory ${dir} is not empty: give a new or empty directory (a backup never overwrites another)`,
      'usage',
    );
  try {
    await fs.mkdir(dir, { recursive: true });
    const probe = `${dir}/.write-test`;
    await fs.writeFile(probe, '');
    await fs.rm(probe);
  } catch (err) {
    throw new BackupError(
      `cannot write to the backup directory ${dir} (${reason(err)}): choose a directory this user can write`,
      'usage',
    );
  }
}
