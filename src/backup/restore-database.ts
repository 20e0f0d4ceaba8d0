import fs from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { from as copyFrom } from 'pg-copy-streams';
import { migrations } from '../../migrations';
import type { Db, Queryable, Tx } from '../db/knex';
import { BackupError } from './backup-error';
import { pathInBackup } from './backup-layout';
import { connectionOf } from './dump-database';
import type { Manifest, ManifestTable } from './manifest';
import { listTables, quoteIdent, TableShape } from './schema-catalog';

/** knex's bookkeeping tables: created by knex, not by a migration, and restored from the backup like the rest. */
const MIGRATION_TABLE = 'knex_migrations';
const MIGRATION_LOCK_TABLE = 'knex_migrations_lock';

/**
 * The migrations to run for the backup's schema: exactly the ones it had applied, which must be the first
 * ones this code knows. A backup from a newer semreg has migrations this one lacks and is refused.
 */
export function migrationsFor(manifest: Manifest): typeof migrations {
  const known = migrations.map(([name]) => name);
  const matches = manifest.migrations.every((name, i) => known[i] === name);
  if (!matches || manifest.migrations.length === 0)
    throw new BackupError(
      `the backup's database is at migration ${manifest.migration_head} (semreg ${manifest.semreg_version}), which this semreg does not know (its latest is ${known.at(-1)}): restore it with semreg ${manifest.semreg_version} or newer`,
      'refused',
    );
  return migrations.slice(0, manifest.migrations.length);
}

/** Refuses a database that already holds anything but knex's empty bookkeeping (a previous failed attempt). */
export async function assertEmptyDatabase(tx: Queryable, where: string): Promise<void> {
  const tables = (await listTables(tx)).map((t) => t.name);
  const others = tables.filter((name) => name !== MIGRATION_TABLE && name !== MIGRATION_LOCK_TABLE);
  const applied = tables.includes(MIGRATION_TABLE)
    ? Number((await tx(MIGRATION_TABLE).count({ n: '*' }))[0].n)
    : 0;
  if (others.length > 0 || applied > 0)
    throw new BackupError(
      `the target database ${where} is not empty (it has ${others.length} semreg tables): restore only into an empty one — a new DATA_DIR, or a newly created database in DATABASE_URL — and start semreg on it afterwards`,
      'refused',
    );
}

/** knex's own table layout (knex/lib/migrations/migrate/table-creator.js), created inside our transaction. */
async function createMigrationTables(tx: Tx): Promise<void> {
  if (!(await tx.schema.hasTable(MIGRATION_TABLE)))
    await tx.schema.createTable(MIGRATION_TABLE, (t) => {
      t.increments();
      t.string('name');
      t.integer('batch');
      t.timestamp('migration_time');
    });
  if (!(await tx.schema.hasTable(MIGRATION_LOCK_TABLE)))
    await tx.schema.createTable(MIGRATION_LOCK_TABLE, (t) => {
      t.increments('index').primary();
      t.integer('is_locked');
    });
}

/** The migrated schema must have exactly the backup's tables and columns, or COPY would misplace values. */
function matchTables(schema: TableShape[], manifest: Manifest): Map<string, ManifestTable> {
  const backedUp = new Map(manifest.tables.map((t) => [t.name, t]));
  for (const table of schema) {
    const saved = backedUp.get(table.name);
    if (!saved || saved.columns.join(',') !== table.columns.join(','))
      throw new BackupError(
        `the backup's table ${table.name} does not match the schema of migration ${manifest.migration_head}: the backup was altered`,
        'integrity',
      );
  }
  if (backedUp.size !== schema.length)
    throw new BackupError(
      `the backup lists tables that migration ${manifest.migration_head} does not create`,
      'integrity',
    );
  return backedUp;
}

async function copyIntoTable(tx: Tx, dir: string, table: ManifestTable): Promise<void> {
  const connection = await connectionOf(tx);
  const columns = table.columns.map(quoteIdent).join(', ');
  const copy = connection.query(copyFrom(`COPY ${quoteIdent(table.name)} (${columns}) FROM STDIN`));
  await pipeline(fs.createReadStream(pathInBackup(dir, table.file)), copy);
  if (copy.rowCount !== table.rows)
    throw new BackupError(
      `table ${table.name}: ${copy.rowCount} rows read back, the manifest says ${table.rows}: the backup is damaged`,
      'integrity',
    );
}

/** Ids continue after the backup's: none is handed out twice (see sequenceValues in dump-database.ts). */
async function restoreSequences(tx: Tx, manifest: Manifest): Promise<void> {
  for (const s of manifest.sequences)
    await tx.raw('SELECT setval(pg_get_serial_sequence(?, ?), ?::bigint, ?)', [
      quoteIdent(s.table),
      s.column,
      s.last_value,
      s.is_called,
    ]);
}

/**
 * Rebuilds the backup's database in ONE transaction, so a failure at any point leaves the target as empty
 * as it was: the migrations up to the backup's head (the same schema, functions, triggers and constraints
 * semreg itself creates), then every table's rows with COPY, parents before children so every foreign key
 * and CHECK constraint (semver rules included) is verified as the rows arrive, then the id sequences.
 *
 * User triggers are off while the rows load: the events table's append-only guard would refuse the
 * TRUNCATE that clears what the migrations inserted (the Default experiment), and run_tags' trigger would
 * recompute CI columns the restored `runs` rows already hold. They are on again before the commit.
 */
export interface RestoreDatabaseOptions {
  /** How messages name the target database. */
  readonly where: string;
  readonly onTable?: (table: string, rows: number) => void;
  /** Stops between tables (Ctrl-C): the transaction rolls back. */
  readonly signal?: AbortSignal;
}

export async function restoreDatabase(
  db: Db,
  dir: string,
  manifest: Manifest,
  { where, onTable = () => undefined, signal }: RestoreDatabaseOptions,
): Promise<void> {
  const toRun = migrationsFor(manifest);
  await db.transaction(async (tx) => {
    await assertEmptyDatabase(tx, where);
    await createMigrationTables(tx);
    for (const [, migration] of toRun) await migration.up(tx);
    const schema = await listTables(tx);
    const backedUp = matchTables(schema, manifest);
    const names = schema.map((t) => quoteIdent(t.name));
    for (const name of names) await tx.raw(`ALTER TABLE ${name} DISABLE TRIGGER USER`);
    await tx.raw(`TRUNCATE ${names.join(', ')}`);
    for (const table of schema) {
      signal?.throwIfAborted();
      await copyIntoTable(tx, dir, backedUp.get(table.name)!);
      onTable(table.name, backedUp.get(table.name)!.rows);
    }
    for (const name of names) await tx.raw(`ALTER TABLE ${name} ENABLE TRIGGER USER`);
    await restoreSequences(tx, manifest);
  });
  // Planner statistics for the new rows at once, as after a migration (src/db/migrate.ts).
  await db.raw('ANALYZE');
}
