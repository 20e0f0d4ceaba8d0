import { BackupError } from './backup-error';
import { FILES_DIR, pathInBackup, S3_OBJECT_LIST } from './backup-layout';
import { hashFile } from './file-digest';
import type { Manifest } from './manifest';

/**
 * Reads every file the manifest lists and compares its size and sha256, and checks that the manifest lists
 * what a backup of its kind must hold, before restore writes anything: a truncated copy, a lost file or an
 * edited table is refused rather than half-restored.
 */
export async function verifyBackup(
  dir: string,
  manifest: Manifest,
  onFile: (rel: string, bytes: number) => void = () => undefined,
): Promise<void> {
  const listed = new Set(Object.keys(manifest.files));
  const required = manifest.tables.map((t) => t.file);
  if (manifest.store.kind === 's3') required.push(S3_OBJECT_LIST);
  const absent = required.filter((rel) => !listed.has(rel));
  const storedCopies = [...listed].filter((rel) => rel.startsWith(`${FILES_DIR}/`)).length;
  if (absent.length > 0 || (manifest.store.kind === 'local' && storedCopies !== manifest.stored_files.count))
    throw new BackupError(
      `the manifest of ${dir} does not list every file its backup holds (${absent[0] ?? `${storedCopies} of ${manifest.stored_files.count} stored files`}): the backup is incomplete`,
      'integrity',
    );

  const problems: string[] = [];
  for (const [rel, expected] of Object.entries(manifest.files)) {
    const actual = await hashFile(pathInBackup(dir, rel)).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT' || err.code === 'ENOTDIR' || err.code === 'EISDIR') return undefined;
      throw err;
    });
    if (!actual) problems.push(`${rel} is missing`);
    else if (actual.size !== expected.size || actual.sha256 !== expected.sha256)
      problems.push(
        `${rel} differs from the manifest (${actual.size} bytes, sha256 ${actual.sha256.slice(0, 12)}…)`,
      );
    onFile(rel, expected.size);
  }
  if (problems.length > 0)
    throw new BackupError(
      `the backup in ${dir} is damaged or incomplete: ${problems.length} file(s) fail the manifest's check, first: ${problems[0]}; nothing was restored`,
      'integrity',
    );
}
