import { Command, CommanderError } from 'commander';
import { ciHeaders } from './ci-env';
import { SemregClient } from './client';
import { CliError, EXIT } from './exit-codes';
import { getModel } from './get';
import { importGto } from './gto';
import { printHistory } from './history';
import { pushFiles } from './push';
import { tuneGarbageCollection } from '../startup/garbage-collection';

/**
 * `semreg` — the command line for semreg (docs/cli.md). Server: --url, else SEMREG_URL, else
 * MLFLOW_TRACKING_URI; token: --token, else SEMREG_TOKEN, else MLFLOW_TRACKING_TOKEN. Results go to stdout,
 * progress and messages to stderr; the exit code says what went wrong (src/cli/exit-codes.ts).
 */
const env = process.env;
const out = (line: string): void => void process.stdout.write(`${line}\n`);
const err = (line: string): void => void process.stderr.write(`${line}\n`);

const program = new Command('semreg')
  .description('semreg model registry: fetch, publish, promote and audit model versions')
  .option('--url <url>', 'server URL (default: SEMREG_URL or MLFLOW_TRACKING_URI)')
  .option('--token <token>', 'access token (default: SEMREG_TOKEN or MLFLOW_TRACKING_TOKEN)')
  .showHelpAfterError()
  .exitOverride();

function client(): SemregClient {
  const options = program.opts<{ url?: string; token?: string }>();
  const baseUrl = options.url ?? env.SEMREG_URL ?? env.MLFLOW_TRACKING_URI;
  if (!baseUrl)
    throw new CliError('No server: pass --url or set SEMREG_URL (or MLFLOW_TRACKING_URI).', EXIT.USAGE);
  if (!/^https?:\/\//.test(baseUrl))
    throw new CliError(`The server URL must be http(s)://…, got '${baseUrl}'.`, EXIT.USAGE);
  return new SemregClient({
    baseUrl,
    token: options.token ?? env.SEMREG_TOKEN ?? env.MLFLOW_TRACKING_TOKEN,
    headers: ciHeaders(env),
  });
}

program
  .command('get <ref>')
  .description(
    'download every file of a version: <model>, <model>@<alias>, <model>/<semver or range>, <model>:<stage>',
  )
  .requiredOption('-o, --output <dir>', 'directory to write the files to')
  .option('--no-progress', 'no progress bar (default when stderr is not a terminal)')
  .action(async (ref: string, options: { output: string; progress: boolean }) => {
    await getModel(client(), ref, options.output, {
      progress: options.progress && Boolean(process.stderr.isTTY),
      log: out,
    });
  });

program
  .command('push <ref> <files...>')
  .description(
    'upload files to the package registry as <model>/<semver> (records the CI job from GitHub Actions / GitLab CI)',
  )
  .option('--keep-paths', 'keep the relative paths of the files instead of their names')
  .action(async (ref: string, files: string[], options: { keepPaths?: boolean }) => {
    await pushFiles(client(), ref, files, { keepPaths: Boolean(options.keepPaths), log: out });
  });

program
  .command('promote <model>')
  .description('move a version into a stage or point an alias at it (compare-and-set with --expect)')
  .option('--stage <stage>', 'target stage')
  .option('--alias <alias>', 'target alias')
  .option('--version <n>', 'version number')
  .option('--semver <semver>', 'exact semantic version')
  .option('--range <range>', 'highest version in a semver range')
  .option('--expect <version>', "refuse (exit 4) unless the target is held by this version ('' = empty)")
  .action(async (model: string, options: Record<string, string | undefined>) => {
    const result = await client().json<{
      model_version: { version: string; current_stage: string };
      previous_version: string | null;
      archived_versions: string[];
    }>('POST', `/api/models/${encodeURIComponent(model)}/promote`, {
      body: {
        stage: options.stage,
        alias: options.alias,
        version: options.version,
        semver: options.semver,
        range: options.range,
        expected_current_version: options.expect,
      },
    });
    const target = options.stage ? `stage ${options.stage}` : `alias @${options.alias}`;
    out(
      `${model}: version ${result.model_version.version} now holds ${target} (previous: ${result.previous_version ?? 'none'}${result.archived_versions.length ? `; archived ${result.archived_versions.join(', ')}` : ''})`,
    );
  });

program
  .command('rollback <model>')
  .description('return a stage or alias to its previous holder')
  .option('--stage <stage>', 'stage to roll back')
  .option('--alias <alias>', 'alias to roll back')
  .action(async (model: string, options: { stage?: string; alias?: string }) => {
    const result = await client().json<{
      model_version: { version: string };
      previous_version: string | null;
    }>('POST', `/api/models/${encodeURIComponent(model)}/rollback`, { body: options });
    out(
      `${model}: version ${result.model_version.version} is back (was ${result.previous_version ?? 'none'})`,
    );
  });

program
  .command('history <model>')
  .description('print the lifecycle history of a model, oldest first')
  .option('--since <time>', 'ISO 8601 or epoch ms')
  .option('--until <time>', 'ISO 8601 or epoch ms')
  .option('--type <types>', 'event types, comma-separated (e.g. stage.transitioned,alias.set)')
  .option('--at <time>', 'instead: which version held each stage and alias at that instant')
  .option('--json', 'one JSON object per line')
  .action(
    async (
      model: string,
      options: { since?: string; until?: string; type?: string; at?: string; json?: boolean },
    ) => {
      await printHistory(client(), model, options, out);
    },
  );

program
  .command('import-gto <repo>')
  .description('replay a GTO git-tag registry (name@v1.2.3, name#prod#1, …) with its original timestamps')
  .action(async (repo: string) => {
    const summary = await importGto(client(), repo, err);
    out(
      `Imported ${summary.models} model(s), ${summary.versions} version(s), ${summary.assignments} stage change(s) from ${repo}`,
    );
    for (const line of summary.skipped) err(`skipped ${line}`);
  });

const token = program.command('token').description('manage access tokens (admin token required)');
token
  .command('create')
  .description('mint a token; prints its secret once on stdout')
  .requiredOption('--scope <scope>', 'read, write or admin')
  .option('--models <patterns>', "model-name patterns, comma-separated (e.g. 'churn-*')")
  .option('--expires-at <time>', 'ISO 8601 expiry')
  .option('--description <text>', 'what the token is for')
  .action(async (options: { scope: string; models?: string; expiresAt?: string; description?: string }) => {
    const created = await client().json<{ token: string; id: string | number; scope: string }>(
      'POST',
      '/api/tokens',
      {
        body: {
          scope: options.scope,
          models: options.models
            ?.split(',')
            .map((m) => m.trim())
            .filter(Boolean),
          expires_at: options.expiresAt,
          description: options.description,
        },
      },
    );
    out(created.token);
    err(`token id ${created.id}, scope ${created.scope}. The secret above is not shown again.`);
  });

program
  .command('storage')
  .description('manage the stored files on the server host (uses the database and the stores, no server)')
  .command('migrate')
  .description(
    'copy every stored file from local disk (ARTIFACT_ROOT) to an S3 store, verifying each sha256; safe to re-run',
  )
  .requiredOption('--to <url>', 's3://bucket/prefix, the ARTIFACTS_DESTINATION the server will use')
  .option('--concurrency <n>', 'files copied at once (1-16)', '4')
  .option('--verify', 're-read files already in the bucket and compare their sha256, not only their size')
  .option('--no-progress', 'no progress bar (default when stderr is not a terminal)')
  .action(async (options: { to: string; concurrency: string; verify?: boolean; progress: boolean }) => {
    // Loaded on use: the AWS SDK and the database driver would slow down every other command's start.
    const { migrateStorage } = await import('./storage-migrate.js');
    tuneGarbageCollection();
    await migrateStorage(
      {
        to: options.to,
        concurrency: options.concurrency,
        verify: Boolean(options.verify),
        progress: options.progress && Boolean(process.stderr.isTTY),
      },
      env,
      { out, err },
    );
  });

program
  .command('backup <dir>')
  .description(
    'write a consistent backup (database, local artifact and package files, manifest) into a new or empty directory; works while the server runs',
  )
  .option('--no-progress', 'no progress bar (default when stderr is not a terminal)')
  .action(async (dir: string, options: { progress: boolean }) => {
    // Loaded on use, like storage migrate: the database driver would slow down every other command's start.
    const { runBackup } = await import('./backup.js');
    await runBackup(dir, { progress: options.progress && Boolean(process.stderr.isTTY) }, env, { out, err });
  });

program
  .command('restore <dir>')
  .description('restore a backup into an empty DATA_DIR or database (verified against its manifest first)')
  .option('--no-progress', 'no progress bar (default when stderr is not a terminal)')
  .action(async (dir: string, options: { progress: boolean }) => {
    const { runRestore } = await import('./restore.js');
    tuneGarbageCollection();
    await runRestore(dir, { progress: options.progress && Boolean(process.stderr.isTTY) }, env, { out, err });
  });

program
  .command('import-mlflow')
  .description(
    'copy an MLflow server (experiments, runs, metrics, artifacts, logged models, registered models, versions) into this semreg; resumable (docs/import.md)',
  )
  .requiredOption(
    '--from <url>',
    'the MLflow server, e.g. http://old-mlflow:5000 (MLFLOW_TRACKING_TOKEN or _USERNAME/_PASSWORD)',
  )
  .option(
    '--verify',
    'afterwards, compare source and semreg object by object and file by file; exit 5 on any difference',
  )
  .option('--dry-run', 'print what would be imported, write nothing')
  .option('--models <patterns>', "registered models to take, comma-separated '*'/'?' patterns (default: all)")
  .option('--experiments <patterns>', "experiments to take, comma-separated '*'/'?' patterns (default: all)")
  .option('--concurrency <n>', 'runs and files copied at once (1-16)', '4')
  .option('--no-progress', 'no progress bars (default when stderr is not a terminal)')
  .action(
    async (options: {
      from: string;
      verify?: boolean;
      dryRun?: boolean;
      models?: string;
      experiments?: string;
      concurrency: string;
      progress: boolean;
    }) => {
      // Loaded on use, like storage migrate: the database driver would slow down every other command's start.
      const { importMlflow } = await import('./import-mlflow.js');
      await importMlflow(
        {
          ...options,
          verify: Boolean(options.verify),
          dryRun: Boolean(options.dryRun),
          progress: options.progress && Boolean(process.stderr.isTTY),
        },
        env,
        { out, err },
      );
    },
  );

async function run(): Promise<number> {
  try {
    await program.parseAsync(process.argv);
    return EXIT.OK;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version are not failures; everything else commander refuses is a usage error.
      return error.exitCode === 0 ? EXIT.OK : EXIT.USAGE;
    }
    if (error instanceof CliError) {
      err(`semreg: ${error.message}`);
      return error.exitCode;
    }
    err(`semreg: unexpected error: ${(error as Error).stack ?? String(error)}`);
    return EXIT.UNEXPECTED;
  }
}

void run().then((code) => {
  process.exitCode = code;
});
