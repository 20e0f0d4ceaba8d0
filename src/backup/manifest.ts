import fs from 'node:fs/promises';
import { BackupError } from './backup-error';
import { BACKUP_FORMAT, MANIFEST_FILE, manifestPath } from './backup-layout';

/**
 * The manifest: what a backup holds and the sha256 of every file in it, so restore can prove the backup is
 * complete and unaltered before it writes anything. Field names are snake_case like the rest of semreg's
 * JSON, since operators read it.
 */
export interface ManifestTable {
  readonly name: string;
  readonly columns: readonly string[];
  readonly rows: number;
  /** Relative to the backup directory. */
  readonly file: string;
}

export interface ManifestSequence {
  readonly table: string;
  readonly column: string;
  /** As text: a bigint may exceed what a JSON number holds exactly. */
  readonly last_value: string;
  readonly is_called: boolean;
}

export interface ManifestFile {
  readonly size: number;
  readonly sha256: string;
}

export type ManifestStore =
  { readonly kind: 'local' } | { readonly kind: 's3'; readonly bucket: string; readonly prefix: string };

export interface Manifest {
  readonly format: typeof BACKUP_FORMAT;
  readonly semreg_version: string;
  /** The instant the database snapshot shows: the backup holds what was committed before it. */
  readonly created_at: string;
  readonly postgres_version: string;
  /** The last migration the database had applied; restore builds exactly this schema. */
  readonly migration_head: string;
  readonly migrations: readonly string[];
  readonly store: ManifestStore;
  readonly tables: readonly ManifestTable[];
  readonly sequences: readonly ManifestSequence[];
  /** The artifact and package files the database records (copied, or listed for an S3 store). */
  readonly stored_files: { readonly count: number; readonly bytes: number };
  /** Every file of the backup but the manifest itself, by path relative to the backup directory. */
  readonly files: Readonly<Record<string, ManifestFile>>;
}

/** Writes the manifest last and atomically: its presence is what marks a backup as complete. */
export async function writeManifest(dir: string, manifest: Manifest): Promise<void> {
  const target = manifestPath(dir);
  const temporary = `${target}.partial`;
  const handle = await fs.open(temporary, 'w');
  try {
    await handle.writeFile(`${JSON.stringify(manifest, null, 2)}\n`);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await fs.rename(temporary, target);
}

const isString = (v: unknown): v is string => typeof v === 'string';
const isCount = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;
const isSha256 = (v: unknown): boolean => isString(v) && /^[0-9a-f]{64}$/.test(v);

/** The first rule the parsed manifest breaks, or undefined; enough shape to use it without crashing. */
function shapeProblem(m: Record<string, unknown>): string | undefined {
  if (m.format !== BACKUP_FORMAT) return `its format is ${JSON.stringify(m.format)}, not ${BACKUP_FORMAT}`;
  if (!isString(m.migration_head) || !Array.isArray(m.migrations) || !m.migrations.every(isString))
    return 'it names no migrations';
  const store = m.store as Record<string, unknown> | undefined;
  if (store?.kind !== 'local' && store?.kind !== 's3') return 'it names no artifact store';
  const tables = m.tables as ManifestTable[];
  if (!Array.isArray(tables)) return 'it lists no tables';
  for (const t of tables) {
    if (!isString(t?.name) || !/^[a-z_][a-z0-9_]*$/.test(t.name)) return 'a table has an invalid name';
    if (!Array.isArray(t.columns) || !t.columns.every(isString) || !isCount(t.rows) || !isString(t.file))
      return `table ${t.name} is described incompletely`;
  }
  const sequences = m.sequences as ManifestSequence[];
  if (!Array.isArray(sequences)) return 'it lists no sequences';
  for (const s of sequences)
    if (!isString(s?.table) || !isString(s.column) || !/^-?[0-9]+$/.test(String(s.last_value)))
      return 'a sequence is described incompletely';
  const files = m.files as Record<string, ManifestFile> | undefined;
  if (!files || typeof files !== 'object') return 'it lists no files';
  for (const [name, file] of Object.entries(files))
    if (!isCount(file?.size) || !isSha256(file.sha256)) return `file ${name} has no valid size and sha256`;
  const stored = m.stored_files as Record<string, unknown> | undefined;
  if (!isCount(stored?.count) || !isCount(stored?.bytes)) return 'it does not count the stored files';
  return undefined;
}

/** Reads and checks the manifest of `dir`; a missing or malformed one is an incomplete backup. */
export async function readManifest(dir: string): Promise<Manifest> {
  const text = await fs.readFile(manifestPath(dir), 'utf8').catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT' || err.code === 'ENOTDIR')
      throw new BackupError(
        `${dir} holds no ${MANIFEST_FILE}: it is not a semreg backup, or the backup did not finish`,
        'integrity',
      );
    throw new BackupError(`cannot read the backup in ${dir}: ${err.message}`, 'usage');
  });
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new BackupError(`the manifest of ${dir} is not valid JSON: the backup is damaged`, 'integrity');
  }
  const problem =
    parsed && typeof parsed === 'object' ? shapeProblem(parsed as Record<string, unknown>) : 'it is empty';
  if (problem) throw new BackupError(`the manifest of ${dir} is invalid (${problem})`, 'integrity');
  return parsed as Manifest;
}
