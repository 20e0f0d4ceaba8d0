import type { Readable } from 'node:stream';
import type { AppContext } from '../app-context';
import type { Queryable } from '../db/knex';
import type { PutOptions } from './artifact-store';
import { normaliseRelativePath } from './safe-path';

/**
 * Storing a file = streaming it into the ArtifactStore, then recording its size and sha256 in
 * `stored_files` (issue 4). Every writer (artifact proxy, package registry) goes through here, so the table
 * describes every stored byte. The bytes stream to a temporary file first; the row is written and the file
 * renamed into place in one short transaction, so a failed or interrupted upload leaves no row at all.
 */
export interface StoredFile {
  readonly key: string;
  readonly size: number;
  readonly sha256: string;
  readonly contentType: string | null;
  /** Milliseconds since the epoch. */
  readonly createdAt: number;
}

export interface StoreFileOptions extends PutOptions {
  /** The uploader's declared content type, kept for information only (downloads guess their own). */
  readonly contentType?: string;
  /**
   * Runs in the transaction that records the file, before it becomes visible: `semreg import-mlflow` writes
   * its ledger row there, so a file and the note that it was imported commit together.
   */
  readonly onRecorded?: (tx: Queryable, file: StoredFile) => Promise<void>;
}

type StorageContext = Pick<AppContext, 'db' | 'storage'>;

interface StoredFileRow {
  key: string;
  size: number;
  sha256: string;
  content_type: string | null;
  created_at: number;
}

const fromRow = (row: StoredFileRow): StoredFile => ({
  key: row.key,
  size: Number(row.size),
  sha256: row.sha256,
  contentType: row.content_type,
  createdAt: Number(row.created_at),
});

/** LIKE pattern for "everything below `key`/", with LIKE's wildcards in the key taken literally. */
const belowPattern = (key: string): string => `${key.replace(/[\\%_]/g, (c) => `\\${c}`)}/%`;

/** Upserts the row of a file that is already in place (an overwrite replaces size, hash and time). */
export async function recordStoredFile(db: Queryable, file: StoredFile): Promise<void> {
  await db('stored_files')
    .insert({
      key: file.key,
      size: file.size,
      sha256: file.sha256,
      content_type: file.contentType,
      created_at: file.createdAt,
    })
    .onConflict('key')
    .merge();
}

/**
 * Streams `body` to `key` and records it. The bytes stream without holding a database connection; only the
 * publish step (a rename) runs inside a short transaction that holds an advisory lock on the key and upserts
 * the row, so two concurrent uploads of one key end with the row describing the bytes that won. If the
 * database is down, nothing is published and the error propagates (503, which the client retries).
 */
export async function storeFile(
  ctx: StorageContext,
  key: string,
  body: Readable,
  options: StoreFileOptions,
): Promise<StoredFile> {
  const clean = normaliseRelativePath(key);
  let file: StoredFile | undefined;
  await ctx.storage.put(clean, body, {
    ...options,
    publish: async (publish, { size, sha256 }) => {
      await ctx.db.transaction(async (tx) => {
        await tx.raw("SELECT pg_advisory_xact_lock(hashtextextended('stored_files:' || ?, 0))", [clean]);
        file = { key: clean, size, sha256, contentType: options.contentType ?? null, createdAt: Date.now() };
        await recordStoredFile(tx, file);
        await options.onRecorded?.(tx, file);
        await publish();
      });
    },
  });
  return file!;
}

/**
 * The files recorded below `key` (keys in byte order), at most `limit` of them: what the store holds there
 * with the sha256 of each, without touching the store.
 */
export async function storedFilesBelow(db: Queryable, key: string, limit: number): Promise<StoredFile[]> {
  const rows: StoredFileRow[] = await db('stored_files')
    .whereRaw(`key LIKE ? ESCAPE '\\'`, [belowPattern(normaliseRelativePath(key))])
    .orderBy('key')
    .limit(limit);
  return rows.map(fromRow);
}

export async function findStoredFile(db: Queryable, key: string): Promise<StoredFile | undefined> {
  const row = await db<StoredFileRow>('stored_files')
    .where({ key: normaliseRelativePath(key) })
    .first();
  return row ? fromRow(row) : undefined;
}

/**
 * Deletes a file or a whole tree with its rows. The rows go in a transaction that commits only after the
 * bytes are gone, so a failed delete leaves both in place.
 */
export async function deleteStoredTree(ctx: StorageContext, key: string): Promise<void> {
  const clean = normaliseRelativePath(key);
  await ctx.db.transaction(async (tx) => {
    await tx('stored_files')
      .where({ key: clean })
      .orWhereRaw(`key LIKE ? ESCAPE '\\'`, [belowPattern(clean)])
      .delete();
    await ctx.storage.delete(clean);
  });
}
