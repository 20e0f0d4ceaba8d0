import fs from 'node:fs/promises';
import cliProgress from 'cli-progress';
import { Config, loadConfig } from '../config';
import { openServerDatabase, ServerDatabase } from '../startup/server-database';
import { migrateToLatest } from '../db/migrate';
import { createLogger } from '../log';
import { openCheckedStore } from '../startup/artifact-store';
import { StartupFailure } from '../startup/startup-failure';
import { LocalDiskStore } from '../storage/local-disk-store';
import { countRecordedFiles, FileOutcome, MigrationReport, migrateStore } from '../storage/migrate-store';
import { CliError, EXIT } from './exit-codes';
import { requireExistingDatabase } from './existing-database';
import { Env, INTERRUPTED, Io } from './command-io';

/**
 * `semreg storage migrate --to s3://bucket/prefix` (docs/cli.md): copies every file of the local-disk store
 * (ARTIFACT_ROOT) into the S3 store, verifying each against the sha256 PostgreSQL recorded. Unlike the
 * other commands it talks to no server: it reads the database and both stores itself, with the server's
 * settings (DATABASE_URL or DATA_DIR's embedded PostgreSQL, ARTIFACT_ROOT, S3_ENDPOINT_URL, AWS_*).
 */
export interface StorageMigrateOptions {
  readonly to: string;
  /** As typed on the command line; 1 to MAX_CONCURRENCY. */
  readonly concurrency: string;
  readonly verify: boolean;
  readonly progress: boolean;
}

/** Without a terminal, a progress line every this many files. */
const PROGRESS_EVERY = 100;
/** Each upload in flight holds up to 25 MiB of parts (s3-store.ts): 16 stay well below half a GiB. */
const MAX_CONCURRENCY = 16;
/** Database connections: the workers only page through rows between files, never while one streams. */
const POOL_SIZE = 4;

/** Whatever cannot start (database, bucket) is worded by the server's own start-up checks. */
async function orUnavailable<T>(step: Promise<T>): Promise<T> {
  try {
    return await step;
  } catch (err) {
    if (err instanceof StartupFailure) throw new CliError(err.message, EXIT.UNAVAILABLE);
    throw err;
  }
}

/**
 * The server's database (`openServerDatabase`), with what this command checks first: a DATABASE_URL server
 * that answers, and a DATA_DIR that has a database — an empty one would get a new, empty database, in which
 * every file would look unrecorded.
 */
async function openDatabase(config: Config): Promise<ServerDatabase> {
  await orUnavailable(requireExistingDatabase(config));
  return orUnavailable(openServerDatabase(config, POOL_SIZE));
}

function parseConcurrency(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > MAX_CONCURRENCY)
    throw new CliError(
      `--concurrency must be an integer from 1 to ${MAX_CONCURRENCY}, got '${value}'.`,
      EXIT.USAGE,
    );
  return n;
}

function settingsFor(to: string, env: Env): Config {
  try {
    return loadConfig({ ...env, ARTIFACTS_DESTINATION: to });
  } catch (err) {
    throw new CliError(`--to: ${(err as Error).message}`, EXIT.USAGE);
  }
}

/** One line per file an operator must look at; the routine ones only move the progress. */
function noteworthy(file: FileOutcome): string[] {
  const lines = file.recorded ? [] : [`unrecorded ${file.key}`];
  if (file.outcome === 'missing') lines.push(`missing ${file.key}: recorded in the database, not on disk`);
  if (file.outcome === 'failed') lines.push(`failed ${file.key}: ${file.reason}`);
  return lines;
}

function printReport(report: MigrationReport, verified: boolean, out: (line: string) => void): void {
  const files = (n: number) => `${n} file${n === 1 ? '' : 's'}`;
  out(`copied: ${files(report.copied)}, ${report.bytes} bytes`);
  out(
    `skipped: ${files(report.skipped)} (already in the bucket with the recorded ${verified ? 'sha256' : 'size'})`,
  );
  out(`unrecorded: ${files(report.unrecorded)} (on disk without a database record; copied unverified)`);
  out(`missing: ${files(report.missing)} (recorded in the database, not on disk)`);
  out(`failed: ${files(report.failed)}`);
}

/**
 * Progress on stderr: a bar on a terminal, else a line every PROGRESS_EVERY files. The lines about single
 * files (unrecorded, missing, failed) go to stderr as well; under a bar they wait until it is done, as
 * lines printed while it draws would tear it.
 */
function progressReporter(bar: boolean, recorded: number, err: (line: string) => void) {
  const progress = bar
    ? new cliProgress.SingleBar(
        { format: '{bar} {value}/{total} files | {key}', hideCursor: true },
        cliProgress.Presets.shades_classic,
      )
    : undefined;
  progress?.start(recorded, 0, { key: '' });
  const held: string[] = [];
  let done = 0;
  return {
    onFile(file: FileOutcome): void {
      done += 1;
      const lines = noteworthy(file);
      if (!progress) {
        lines.forEach(err);
        if (done % PROGRESS_EVERY === 0) err(`storage migrate: ${done} files done (${recorded} recorded)`);
        return;
      }
      held.push(...lines);
      // Unrecorded files come after the recorded ones, beyond the total known at the start.
      if (done > progress.getTotal()) progress.setTotal(done);
      progress.update(done, { key: file.key });
    },
    finish(): void {
      progress?.stop();
      held.forEach(err);
    },
  };
}

/** The exit status of a finished run: a CliError unless every file was copied or skipped. */
function throwUnlessComplete(report: MigrationReport): void {
  if (report.interrupted)
    throw new CliError('interrupted; run the same command again to copy the rest.', INTERRUPTED);
  if (report.integrityFailures > 0)
    throw new CliError(
      `${report.integrityFailures} file(s) on disk differ from what the database recorded (listed above); they were not copied.`,
      EXIT.INTEGRITY,
    );
  if (report.failed > 0)
    throw new CliError(
      `${report.failed} file(s) could not be copied (listed above); run the same command again.`,
      EXIT.UNAVAILABLE,
    );
}

/** Runs the migration; resolves when every file was copied or skipped, throws a CliError otherwise. */
export async function migrateStorage(options: StorageMigrateOptions, env: Env, io: Io): Promise<void> {
  const concurrency = parseConcurrency(options.concurrency);
  const config = settingsFor(options.to, env);
  const root = config.artifactRoot;
  const rootStat = await fs.stat(root).catch(() => undefined);
  if (!rootStat?.isDirectory())
    throw new CliError(
      `ARTIFACT_ROOT ${root} is not a directory: set ARTIFACT_ROOT (or DATA_DIR) to the server's.`,
      EXIT.USAGE,
    );

  const database = await openDatabase(config);
  // Ctrl-C stops taking files and abandons the ones in flight; the report is still printed.
  const controller = new AbortController();
  const interrupt = () => controller.abort();
  let report: MigrationReport;
  try {
    await orUnavailable(migrateToLatest(database.db));
    const target = await orUnavailable(openCheckedStore(config, createLogger('silent')));
    const source = await LocalDiskStore.open(root);
    try {
      const { files: recorded, bytes } = await countRecordedFiles(database.db);
      io.err(`storage migrate: ${recorded} recorded files (${bytes} bytes) from ${root} to ${options.to}`);
      const progress = progressReporter(options.progress, recorded, io.err);
      process.once('SIGINT', interrupt);
      try {
        report = await migrateStore({
          db: database.db,
          source,
          target: target.store,
          concurrency,
          verifyExisting: options.verify,
          signal: controller.signal,
          onFile: progress.onFile,
        });
      } finally {
        progress.finish();
      }
    } finally {
      source.close();
      await target.stop();
    }
  } finally {
    process.off('SIGINT', interrupt);
    await database.close();
  }
  printReport(report, options.verify, io.out);
  throwUnlessComplete(report);
}
