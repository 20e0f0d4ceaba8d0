/**
 * `npm run token -- create --scope write --models 'churn-*' [--expires-in 30d] [--description …]`
 * `npm run token -- list` · `npm run token -- revoke <id>`
 *
 * Talks to the database directly (DATABASE_URL, or the embedded PostgreSQL under DATA_DIR that `npm start`
 * uses), so it works before any admin token exists. `create` prints the secret alone on stdout — it is shown
 * only this once — and the details on stderr, so `TOKEN=$(npm run -s token -- create …)` captures just it.
 */
import { Command, InvalidArgumentError } from 'commander';
import { createToken, listTokens, revokeToken } from '../auth/tokens';
import { loadConfig } from '../config';
import type { Db } from '../db/knex';
import { migrateToLatest } from '../db/migrate';
import { openServerDatabase } from '../startup/server-database';
import { MlflowError } from '../errors';

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

function parseDuration(value: string): number {
  const match = /^([1-9][0-9]{0,8})([smhdw])$/.exec(value);
  if (!match) throw new InvalidArgumentError('use a number and a unit, e.g. 90m, 12h, 30d or 2w');
  return Number(match[1]) * UNIT_MS[match[2]];
}

function collectPatterns(value: string, previous: string[]): string[] {
  return [
    ...previous,
    ...value
      .split(',')
      .map((pattern) => pattern.trim())
      .filter(Boolean),
  ];
}

async function withDatabase<T>(work: (db: Db) => Promise<T>): Promise<T> {
  const { db, close } = await openServerDatabase(loadConfig(process.env), 2);
  try {
    await migrateToLatest(db);
    return await work(db);
  } finally {
    await close();
  }
}

const program = new Command('token').description('Manage semreg access tokens').showHelpAfterError();

program
  .command('create')
  .description('mint a token and print its secret once')
  .requiredOption('--scope <scope>', 'read, write or admin')
  .option(
    '--models <patterns>',
    "model-name patterns, comma-separated or repeated (e.g. 'churn-*')",
    collectPatterns,
    [],
  )
  .option('--expires-in <duration>', 'lifetime, e.g. 30d, 12h, 2w', parseDuration)
  .option('--description <text>', 'what the token is for')
  .action(async (options: { scope: string; models: string[]; expiresIn?: number; description?: string }) => {
    const { secret, token } = await withDatabase((db) =>
      createToken(db, {
        scope: options.scope,
        models: options.models,
        expiresAt: options.expiresIn === undefined ? undefined : Date.now() + options.expiresIn,
        description: options.description,
      }),
    );
    process.stdout.write(`${secret}\n`);
    const expiry = token.expires_at === undefined ? 'never' : new Date(token.expires_at).toISOString();
    const models = token.models.length ? token.models.join(', ') : 'all';
    process.stderr.write(
      `token id ${token.id}: scope ${token.scope}, models ${models}, expires ${expiry}. The secret above is not shown again.\n`,
    );
  });

program
  .command('list')
  .description('list tokens that are not revoked (never their secrets)')
  .action(async () => {
    const tokens = await withDatabase((db) => listTokens(db, 0, 10_000));
    process.stdout.write(`${JSON.stringify(tokens, null, 2)}\n`);
  });

program
  .command('revoke <id>')
  .description('revoke a token; it is refused from then on')
  .action(async (id: string) => {
    await withDatabase((db) => revokeToken(db, id));
    process.stderr.write(`token ${id} revoked\n`);
  });

program.parseAsync(process.argv).catch((err: unknown) => {
  process.stderr.write(
    `${err instanceof MlflowError ? err.message : String((err as Error)?.stack ?? err)}\n`,
  );
  process.exit(1);
});
