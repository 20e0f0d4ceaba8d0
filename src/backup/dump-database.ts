import path from 'node:path';
import type pg from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import type { Db, Tx } from '../db/knex';
import { BackupError } from './backup-error';
import { tableFile } from './backup-layout';
import { writeHashed } from './file-digest';
import type { ManifestFile, ManifestSequence, ManifestTable } from './manifest';
import { listOwnedSequences, listTables, quoteIdent } from './schema-catalog';

/** A file the database records, as of the dump's snapshot. */
export interface RecordedFile {
  readonly key: string;
  readonly size: number;
  readonly sha256: string;
}

export interface DatabaseDump {
  /** The instant the snapshot shows (its transaction's start), ISO 8601. */
  readonly takenAt: string;
  readonly postgresVersion: string;
  readonly migrations: string[];
  readonly tables: ManifestTable[];
  readonly sequences: ManifestSequence[];
  readonly recordedFiles: RecordedFile[];
  /** The table files written, for the manifest. */
  readonly files: Record<string, ManifestFile>;
}

/** The pg client under a knex transaction: COPY streams need the connection itself. */
export async function connectionOf(tx: Tx): Promise<pg.Client> {
  return (await tx.client.acquireConnection()) as pg.Client;
}

async function appliedMigrations(tx: Tx): Promise<string[]> {
  const exists = (await tx.raw(`SELECT to_regclass('knex_migrations') IS NOT NULL AS present`)).rows[0] as {
    present: boolean;
  };
  const names = exists.present
    ? ((await tx('knex_migrations').select('name').orderBy('id')) as { name: string }[]).map((r) => r.name)
    : [];
  if (names.length === 0)
    throw new BackupError(
      'the database has no semreg schema (no migration was applied): nothing to back up',
      'usage',
    );
  return names;
}

/**
 * Sequences are outside transactions, so this reads their current value rather than the snapshot's. That is
 * at least the snapshot's, which is all restore needs: ids are never handed out twice, and the events
 * history (which names models by id without a foreign key) never mixes a deleted model with a new one.
 */
async function sequenceValues(tx: Tx): Promise<ManifestSequence[]> {
  const values: ManifestSequence[] = [];
  for (const owned of await listOwnedSequences(tx)) {
    const row = (
      await tx.raw(`SELECT last_value::text AS last_value, is_called FROM ${quoteIdent(owned.sequence)}`)
    ).rows[0] as { last_value: string; is_called: boolean };
    values.push({ table: owned.table, column: owned.column, ...row });
  }
  return values;
}

/**
 * Writes every table of the database into `dir` from ONE snapshot: a REPEATABLE READ READ ONLY transaction
 * sees the database as it was when it started, whatever a running server commits meanwhile, so foreign keys,
 * counters (`next_version`) and the files `stored_files` records all agree with each other. Read-only
 * snapshots take no locks that writers wait for.
 */
export async function dumpDatabase(
  db: Db,
  dir: string,
  onTable: (table: string, rows: number) => void = () => undefined,
): Promise<DatabaseDump> {
  return db.transaction(
    async (tx) => {
      const migrations = await appliedMigrations(tx);
      const postgresVersion = (await tx.raw('SHOW server_version')).rows[0].server_version as string;
      const takenAt = ((await tx.raw('SELECT now() AS at')).rows[0].at as Date).toISOString();
      const connection = await connectionOf(tx);
      const tables: ManifestTable[] = [];
      const files: Record<string, ManifestFile> = {};
      for (const table of await listTables(tx)) {
        const columns = table.columns.map(quoteIdent).join(', ');
        const copy = connection.query(copyTo(`COPY ${quoteIdent(table.name)} (${columns}) TO STDOUT`));
        const file = tableFile(table.name);
        files[file] = await writeHashed(copy, path.join(dir, file));
        tables.push({ name: table.name, columns: table.columns, rows: copy.rowCount, file });
        onTable(table.name, copy.rowCount);
      }
      const recorded = (await tx('stored_files').select('key', 'size', 'sha256').orderBy('key')) as {
        key: string;
        size: number | string;
        sha256: string;
      }[];
      return {
        takenAt,
        postgresVersion,
        migrations,
        tables,
        sequences: await sequenceValues(tx),
        recordedFiles: recorded.map((r) => ({ key: r.key, size: Number(r.size), sha256: r.sha256 })),
        files,
      };
    },
    { isolationLevel: 'repeatable read', readOnly: true },
  );
}
