import type { AppContext } from '../app-context';
import { createToken, ensureAdminSecret, hasUsableAdminToken } from './tokens';

/**
 * Makes sure an administrator can get in at start:
 * - `ADMIN_TOKEN` is stored (hashed) as an admin token if it is not stored yet; once revoked through the
 *   API it stays revoked, even if the variable is still set.
 * - With AUTH=on and no usable admin token, one is generated and printed once, like a first-start password.
 *   A transaction-scoped advisory lock makes two processes starting together print only one.
 */
const MIN_ADMIN_TOKEN_LENGTH = 16;
const BOOTSTRAP_LOCK = 0x5e3e6001;

export async function bootstrapAdminToken({
  config,
  db,
  log,
}: Pick<AppContext, 'config' | 'db' | 'log'>): Promise<void> {
  if (config.adminToken !== undefined) {
    if (config.adminToken.length < MIN_ADMIN_TOKEN_LENGTH) {
      throw new Error(`ADMIN_TOKEN must be at least ${MIN_ADMIN_TOKEN_LENGTH} characters long`);
    }
    if (await ensureAdminSecret(db, config.adminToken, 'ADMIN_TOKEN from the environment')) {
      log.info('stored ADMIN_TOKEN as an admin token');
    }
  }
  if (!config.authEnabled) return;
  const secret = await db.transaction(async (tx) => {
    await tx.raw('SELECT pg_advisory_xact_lock(?)', [BOOTSTRAP_LOCK]);
    if (await hasUsableAdminToken(tx)) return undefined;
    const created = await createToken(tx, {
      scope: 'admin',
      description: 'first admin token, generated at start',
    });
    return created.secret;
  });
  if (secret === undefined) return;
  const message =
    'AUTH=on and no admin token existed: generated one. It is shown only this once; store it now.';
  if (log.isLevelEnabled('warn')) log.warn({ adminToken: secret }, message);
  else process.stderr.write(`${message}\nadmin token: ${secret}\n`);
}
