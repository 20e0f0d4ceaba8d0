import type { Knex } from 'knex';
import { migrations } from '../../migrations';
import { firstLine, StartupFailure } from '../startup/startup-failure';

function find(name: string) {
  const found = migrations.find(([candidate]) => candidate === name);
  if (!found) throw new Error(`unknown migration ${name}`);
  return found[1];
}

/** `onUp` hears which migration starts, so a failure can name it (knex's error is PostgreSQL's alone). */
function sourceReporting(onUp: (name: string) => void): Knex.MigrationSource<string> {
  return {
    getMigrations: async () => migrations.map(([name]) => name),
    getMigrationName: (name) => name,
    getMigration: async (name) => {
      const migration = find(name);
      return {
        up: (knex: Knex) => {
          onUp(name);
          return migration.up(knex);
        },
        down: (knex: Knex) => migration.down(knex),
      };
    },
  };
}

/** knex prefixes PostgreSQL's message with the whole statement (`<sql> - <message>`): keep the message. */
function reasonOf(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  const cut = message.lastIndexOf(' - ');
  return firstLine(cut < 0 ? message : message.slice(cut + 3));
}

/**
 * Brings the schema up to date. knex's migration lock makes concurrent starts (two semreg processes) safe.
 * knex runs the pending migrations in one transaction, so a failure leaves the schema exactly as it was
 * before this start; the failure names the migration, PostgreSQL's reason and that state.
 */
export async function migrateToLatest(db: Knex): Promise<void> {
  let running: string | undefined;
  const migrationSource = sourceReporting((name) => (running = name));
  let applied: string[];
  try {
    [, applied] = (await db.migrate.latest({ migrationSource })) as [number, string[]];
  } catch (err) {
    const completed = (await db.migrate.list({ migrationSource }).catch(() => [[]]))[0] as { name: string }[];
    const at = completed.at(-1)?.name ?? 'none (empty database)';
    throw new StartupFailure(
      `database migration ${running ?? '(before the first one)'} failed: ${reasonOf(err)}; nothing of this start was applied, the last migration in the database is ${at}: fix the cause (or restore a backup) and start again`,
      { cause: err },
    );
  }
  // Fresh statistics for the planner: new indexes and tables are otherwise planned with guesses until
  // autovacuum gets to them (a search right after an upgrade scanned a whole table). Quick at any size: it
  // samples.
  if (applied.length > 0) await db.raw('ANALYZE');
}

export async function rollbackAll(db: Knex): Promise<void> {
  await db.migrate.rollback({ migrationSource: sourceReporting(() => undefined) }, true);
}

/**
 * The migrations this code has and the database has not applied (empty: the schema is at head). Rejects when
 * the database has migrations this code does not know (a newer semreg migrated it).
 */
export async function pendingMigrations(db: Knex): Promise<string[]> {
  const [, pending] = await db.migrate.list({ migrationSource: sourceReporting(() => undefined) });
  return pending as string[];
}
