import crypto from 'node:crypto';
import type { Queryable } from '../db/knex';
import { MlflowError } from '../errors';
import type { ArtifactStore } from './artifact-store';

/**
 * The one-way copy of every stored file from one ArtifactStore to another (issue 12: local disk → S3), the
 * engine of `semreg storage migrate`. The database is the reference: each file recorded in `stored_files`
 * is streamed from the source into the target, and the target publishes it only when the bytes hash to
 * the recorded sha256, so a file that rotted on disk never reaches the bucket. Files on disk without a row
 * (written behind semreg's back, or by a version before issue 4) are copied too — the server serves them
 * today, so it must after the switch — and reported as unrecorded. Nothing is deleted anywhere.
 *
 * Safe to re-run: a file already in the target with the recorded size is skipped without being read. Object
 * stores keep no sha256 of their own that could be checked cheaply, so `verifyExisting` reads such a file
 * back and compares its sha256 instead of trusting its size.
 */
export interface MigrationOptions {
  readonly db: Queryable;
  readonly source: ArtifactStore;
  readonly target: ArtifactStore;
  /** Files copied at once (each one streams, holding at most the target's upload buffers). */
  readonly concurrency?: number;
  readonly verifyExisting?: boolean;
  /** Aborting stops taking new files and abandons the ones in flight (nothing half-written is visible). */
  readonly signal?: AbortSignal;
  /** Hears every file's outcome as it happens (progress, per-file report lines). */
  readonly onFile?: (file: FileOutcome) => void;
}

export type FileOutcome =
  | { readonly key: string; readonly recorded: boolean; readonly outcome: 'copied'; readonly bytes: number }
  /** Already in the target with the recorded size (and, with `verifyExisting`, sha256). */
  | { readonly key: string; readonly recorded: boolean; readonly outcome: 'skipped' }
  /** Recorded in the database, but the source has no such file (and the target has none of that size). */
  | { readonly key: string; readonly recorded: true; readonly outcome: 'missing' }
  | {
      readonly key: string;
      readonly recorded: boolean;
      readonly outcome: 'failed';
      readonly reason: string;
      /** The source's bytes are not what the database recorded: copying again cannot help. */
      readonly integrity: boolean;
    };

export interface MigrationReport {
  readonly copied: number;
  readonly bytes: number;
  readonly skipped: number;
  /** Files of the source without a database row (counted in copied, skipped or failed as well). */
  readonly unrecorded: number;
  readonly missing: number;
  readonly failed: number;
  /** Failures whose bytes did not match the record (a subset of `failed`). */
  readonly integrityFailures: number;
  /** The signal stopped the run before every file was tried. */
  readonly interrupted: boolean;
}

/** What one file of the run is: a recorded one with its size and sha256, or one only the source lists. */
interface FileToCopy {
  readonly key: string;
  readonly size: number;
  readonly sha256?: string;
}

const PAGE = 500;
/** PostgreSQL takes this many parameters in one `IN (…)` without fuss. */
const LOOKUP_BATCH = 1000;

/** How many files and bytes the database records: the progress bar's total. */
export async function countRecordedFiles(db: Queryable): Promise<{ files: number; bytes: number }> {
  const row = (await db('stored_files')
    .select(db.raw('count(*)::bigint AS files'), db.raw('coalesce(sum(size), 0)::bigint AS bytes'))
    .first()) as { files: number | string; bytes: number | string };
  return { files: Number(row.files), bytes: Number(row.bytes) };
}

/** Every recorded file, in key order, a page at a time (keyset pagination: no long-held transaction). */
async function* recordedFiles(db: Queryable): AsyncGenerator<FileToCopy> {
  let after: string | undefined;
  for (;;) {
    const query = db('stored_files').select('key', 'size', 'sha256').orderBy('key').limit(PAGE);
    if (after !== undefined) query.where('key', '>', after);
    const rows = (await query) as { key: string; size: number | string; sha256: string }[];
    for (const row of rows) yield { key: row.key, size: Number(row.size), sha256: row.sha256 };
    if (rows.length < PAGE) return;
    after = rows[rows.length - 1].key;
  }
}

/** Which of `keys` have a row. */
async function recordedAmong(db: Queryable, keys: string[]): Promise<Set<string>> {
  const found = new Set<string>();
  for (let i = 0; i < keys.length; i += LOOKUP_BATCH) {
    const rows = (await db('stored_files')
      .whereIn('key', keys.slice(i, i + LOOKUP_BATCH))
      .select('key')) as { key: string }[];
    for (const row of rows) found.add(row.key);
  }
  return found;
}

/** The source's files without a row, walking its tree one directory (and one query) at a time. */
async function* unrecordedFiles(
  db: Queryable,
  source: ArtifactStore,
  prefix = '',
): AsyncGenerator<FileToCopy> {
  const entries = await source.list(prefix);
  const keyOf = (name: string) => (prefix ? `${prefix}/${name}` : name);
  const files = entries.filter((entry) => !entry.isDir);
  const recorded = await recordedAmong(
    db,
    files.map((file) => keyOf(file.name)),
  );
  for (const file of files) {
    const key = keyOf(file.name);
    if (!recorded.has(key)) yield { key, size: file.size ?? 0 };
  }
  for (const dir of entries.filter((entry) => entry.isDir))
    yield* unrecordedFiles(db, source, keyOf(dir.name));
}

async function* filesToCopy(db: Queryable, source: ArtifactStore): AsyncGenerator<FileToCopy> {
  yield* recordedFiles(db);
  yield* unrecordedFiles(db, source);
}

async function sha256Of(store: ArtifactStore, key: string): Promise<string> {
  const hash = crypto.createHash('sha256');
  for await (const chunk of (await store.get(key)).stream) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

const reasonOf = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/** Copies one file; every failure becomes an outcome so the run goes on with the next file. */
async function migrateFile(file: FileToCopy, options: MigrationOptions): Promise<FileOutcome | undefined> {
  const { source, target, signal } = options;
  const key = file.key;
  const recorded = file.sha256 !== undefined;
  const failed = (reason: string, integrity = false): FileOutcome => ({
    key,
    recorded,
    outcome: 'failed',
    reason,
    integrity,
  });
  let mismatch = false;
  try {
    const present = await target.stat(key);
    if (present && !present.isDir && present.size === file.size) {
      const verified = !options.verifyExisting || !recorded || (await sha256Of(target, key)) === file.sha256;
      if (verified) return { key, recorded, outcome: 'skipped' };
    }
    let body;
    try {
      body = await source.get(key);
    } catch (err) {
      if (recorded && err instanceof MlflowError && err.errorCode === 'RESOURCE_DOES_NOT_EXIST')
        return { key, recorded, outcome: 'missing' };
      throw err;
    }
    if (recorded && body.size !== file.size) {
      body.stream.destroy();
      return failed(`it has ${body.size} bytes, the database recorded ${file.size}`, true);
    }
    // The sha256 is checked in the publish hook rather than with `expectedSha256`: both refuse to publish
    // while the bytes stream, but only here can a mismatch be told apart from the store's own failures.
    // The file's own size is the limit: an S3 target sizes its multipart parts from it (a limit of "anything"
    // made one part of the whole file, held in memory before it was sent).
    const copied = await target.put(key, body.stream, {
      maxBytes: body.size,
      signal,
      publish: async (publish, { sha256 }) => {
        if (recorded && sha256 !== file.sha256) {
          mismatch = true;
          throw new MlflowError(
            'INVALID_PARAMETER_VALUE',
            `its sha256 is ${sha256}, the database recorded ${file.sha256}; it was not copied`,
          );
        }
        await publish();
      },
    });
    return { key, recorded, outcome: 'copied', bytes: copied.size };
  } catch (err) {
    // Abandoned by the abort, not failed: a re-run copies it.
    if (signal?.aborted) return undefined;
    return failed(reasonOf(err), mismatch);
  }
}

export async function migrateStore(options: MigrationOptions): Promise<MigrationReport> {
  const counts = {
    copied: 0,
    bytes: 0,
    skipped: 0,
    unrecorded: 0,
    missing: 0,
    failed: 0,
    integrityFailures: 0,
  };
  const files = filesToCopy(options.db, options.source);
  // Several workers draw from one generator: an async generator queues concurrent `next()` calls, so each
  // file is handed out once and the database is paged only as fast as files are copied.
  const worker = async () => {
    while (!options.signal?.aborted) {
      const next = await files.next();
      if (next.done) return;
      const result = await migrateFile(next.value, options);
      if (!result) return;
      if (!result.recorded) counts.unrecorded += 1;
      if (result.outcome === 'copied') {
        counts.copied += 1;
        counts.bytes += result.bytes;
      } else if (result.outcome === 'skipped') counts.skipped += 1;
      else if (result.outcome === 'missing') counts.missing += 1;
      else {
        counts.failed += 1;
        if (result.integrity) counts.integrityFailures += 1;
      }
      options.onFile?.(result);
    }
  };
  // Settled, not `all`: when the database fails mid-run, the other workers' uploads finish (or fail)
  // before the error is thrown, so nothing is still writing when the caller reports it.
  const workers = await Promise.allSettled(
    Array.from({ length: Math.max(1, options.concurrency ?? 1) }, worker),
  );
  const failure = workers.find((w): w is PromiseRejectedResult => w.status === 'rejected');
  // After an abort a failing page is part of the stop (Ctrl-C reaches an embedded PostgreSQL too).
  if (failure && !options.signal?.aborted) throw failure.reason;
  return { ...counts, interrupted: Boolean(options.signal?.aborted) };
}
