import { Config, loadConfig } from '../config';
import { migrateToLatest } from '../db/migrate';
import { dryRun } from '../import/dry-run';
import { ImportContext, ImportOptions } from '../import/import-context';
import { importFromMlflow } from '../import/import-mlflow';
import { Ledger } from '../import/ledger';
import { authorizationFromEnv, MlflowSource, SourceError } from '../import/mlflow-source';
import { PhaseProgress } from '../import/progress';
import { ImportReport } from '../import/report';
import { verifyImport } from '../import/verify-import';
import { parsePatterns } from '../import/name-filter';
import { openServerDatabase, ServerDatabase } from '../startup/server-database';
import { StartupFailure } from '../startup/startup-failure';
import { openArtifactStore } from '../storage/open-store';
import { CliError, EXIT } from './exit-codes';
import { requireExistingDatabase } from './existing-database';
import { Env, INTERRUPTED, Io } from './command-io';

/**
 * `semreg import-mlflow --from <url>` (docs/import.md): copies an MLflow server into this semreg, reading the
 * source through its REST API and writing beside the server, in process, with the server's settings
 * (DATABASE_URL or DATA_DIR's embedded PostgreSQL, ARTIFACT_ROOT or ARTIFACTS_DESTINATION).
 */
export interface ImportMlflowOptions {
  readonly from: string;
  readonly verify: boolean;
  readonly dryRun: boolean;
  readonly models?: string;
  readonly experiments?: string;
  readonly concurrency: string;
  readonly progress: boolean;
}

const MAX_CONCURRENCY = 16;

/** The server's database; a DATA_DIR without one is refused rather than given a new, empty database. */
async function openDatabase(config: Config, poolSize: number): Promise<ServerDatabase> {
  try {
    await requireExistingDatabase(config);
    return await openServerDatabase(config, poolSize);
  } catch (err) {
    if (err instanceof StartupFailure) throw new CliError(err.message, EXIT.UNAVAILABLE);
    throw err;
  }
}

function parseOptions(options: ImportMlflowOptions, config: Config): ImportOptions {
  const concurrency = Number(options.concurrency);
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > MAX_CONCURRENCY)
    throw new CliError(
      `--concurrency must be an integer from 1 to ${MAX_CONCURRENCY}, got '${options.concurrency}'.`,
      EXIT.USAGE,
    );
  return {
    experiments: parsePatterns(options.experiments),
    models: parsePatterns(options.models),
    maxArtifactBytes: config.maxArtifactBytes,
    concurrency,
  };
}

/** The ledger key of a source: its URL without trailing slashes, so `http://h:5000/` and `http://h:5000` agree. */
function sourceKey(from: string): string {
  if (!/^https?:\/\/[^/]/.test(from))
    throw new CliError(`--from must be http(s)://…, got '${from}'.`, EXIT.USAGE);
  return from.replace(/\/+$/, '');
}

function printVerification(result: Awaited<ReturnType<typeof verifyImport>>, io: Io): void {
  io.out('verify: kind — source / semreg');
  for (const [kind, [s, t]] of result.counts) io.out(`verify: ${kind} — ${s} / ${t}`);
  for (const difference of result.differences) io.out(`difference: ${difference}`);
  io.out(
    result.differences.length
      ? `verify: ${result.differences.length} difference(s)`
      : 'verify: no differences',
  );
}

export async function importMlflow(options: ImportMlflowOptions, env: Env, io: Io): Promise<void> {
  const from = sourceKey(options.from);
  let config: Config;
  try {
    config = loadConfig(env);
  } catch (err) {
    throw new CliError((err as Error).message, EXIT.USAGE);
  }
  const importOptions = parseOptions(options, config);
  const controller = new AbortController();
  // Aborting cancels the requests in flight; the objects they belonged to roll back with their transactions.
  const interrupt = () => {
    if (!controller.signal.aborted) io.err('import-mlflow: stopping; the objects in flight are rolled back');
    controller.abort();
  };
  const source = new MlflowSource(from, authorizationFromEnv(env), controller.signal);
  const ledger = new Ledger(from);
  const progress = new PhaseProgress(options.progress, io.err);
  const database = await openDatabase(config, importOptions.concurrency + 2);
  process.on('SIGINT', interrupt);
  try {
    if (options.dryRun) {
      await dryRun({ db: database.db, source, ledger, options: importOptions }, io.out);
      return;
    }
    await migrateToLatest(database.db);
    const storage = await openArtifactStore(config);
    try {
      const report = new ImportReport();
      const ctx: ImportContext = {
        db: database.db,
        storage,
        source,
        ledger,
        options: importOptions,
        report,
        progress,
        signal: controller.signal,
        experimentIds: new Map(),
        runIds: new Map(),
        loggedModelIds: new Map(),
        loggedModelMetrics: new Map(),
      };
      try {
        await importFromMlflow(ctx, config.artifactsDestination);
      } finally {
        for (const entry of await ledger.all(database.db).catch(() => []))
          if (typeof entry.detail?.conflict === 'string') report.conflict(entry.detail.conflict);
        progress.stop();
        report.lines().forEach(io.out);
      }
      if (controller.signal.aborted)
        throw new CliError(
          'interrupted; run the same command again to continue where it stopped.',
          INTERRUPTED,
        );
      let differences = 0;
      if (options.verify) {
        const result = await verifyImport({
          db: database.db,
          storage,
          source,
          ledger,
          options: importOptions,
          progress,
        });
        printVerification(result, io);
        differences = result.differences.length;
      }
      if (report.failures.length)
        throw new CliError(
          `${report.failures.length} object(s) could not be imported (listed above); run the same command again to retry them.`,
          EXIT.REJECTED,
        );
      if (differences)
        throw new CliError(
          `the source and semreg differ (${differences} difference(s) listed above).`,
          EXIT.INTEGRITY,
        );
      if (report.conflicts.length)
        throw new CliError(
          `${report.conflicts.length} semver conflict(s) (listed above); the versions were imported with another semver.`,
          EXIT.CONFLICT,
        );
    } finally {
      storage.close();
    }
  } catch (err) {
    if (err instanceof SourceError)
      throw new CliError(err.message, controller.signal.aborted ? INTERRUPTED : EXIT.UNAVAILABLE);
    if (controller.signal.aborted && !(err instanceof CliError))
      throw new CliError(
        'interrupted; run the same command again to continue where it stopped.',
        INTERRUPTED,
      );
    throw err;
  } finally {
    process.off('SIGINT', interrupt);
    await database.close();
  }
}
