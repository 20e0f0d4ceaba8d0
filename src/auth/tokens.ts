import type { Queryable } from '../db/knex';
import { invalidParameter, notFound } from '../errors';
import { parseModelPatterns } from './model-pattern';
import type { Principal } from './principal';
import { isScope, Scope } from './scope';
import { generateSecret, hashSecret } from './token-secret';

/** The token store: create, list, revoke, and look a presented secret up by its SHA-256. */
export interface TokenInfo {
  id: string;
  scope: Scope;
  models: string[];
  expires_at?: number;
  created_at: number;
  last_used_at?: number;
  description?: string;
}

export interface NewToken {
  scope: string;
  models?: readonly unknown[];
  /** epoch milliseconds */
  expiresAt?: number;
  description?: string;
}

interface TokenRow {
  id: number | string;
  scope: Scope;
  models: string[];
  expires_at: number | null;
  created_at: number;
  last_used_at: number | null;
  description: string | null;
  revoked: boolean;
}

const MAX_DESCRIPTION = 1000;
// last_used_at is bookkeeping for people, not security: refresh it at most once a minute per token so a
// busy CI job does not turn every read into a write.
const LAST_USED_RESOLUTION_MS = 60_000;

function toInfo(row: TokenRow): TokenInfo {
  return {
    id: String(row.id),
    scope: row.scope,
    models: row.models,
    ...(row.expires_at !== null && { expires_at: row.expires_at }),
    created_at: row.created_at,
    ...(row.last_used_at !== null && { last_used_at: row.last_used_at }),
    ...(row.description !== null && { description: row.description }),
  };
}

function checkNewToken(input: NewToken, now: number): { scope: Scope; models: string[] } {
  if (!isScope(input.scope)) {
    throw invalidParameter(`Invalid scope ${JSON.stringify(input.scope)}: one of 'read', 'write', 'admin'.`);
  }
  const models = parseModelPatterns(input.models ?? []);
  if (input.scope === 'admin' && models.length > 0) {
    // An admin token can mint tokens, so a model restriction on it would be an illusion.
    throw invalidParameter('An admin token cannot be restricted to models; use scope write or read.');
  }
  if (input.expiresAt !== undefined && (!Number.isSafeInteger(input.expiresAt) || input.expiresAt <= now)) {
    throw invalidParameter('expires_at must lie in the future.');
  }
  if (input.description !== undefined && input.description.length > MAX_DESCRIPTION) {
    throw invalidParameter(`description is limited to ${MAX_DESCRIPTION} characters.`);
  }
  return { scope: input.scope, models };
}

/** Creates a token and returns its secret: the only time the secret exists outside the caller. */
export async function createToken(
  db: Queryable,
  input: NewToken,
  now = Date.now(),
): Promise<{ secret: string; token: TokenInfo }> {
  const { scope, models } = checkNewToken(input, now);
  const secret = generateSecret();
  const [row] = await db<TokenRow>('tokens')
    .insert({
      secret_sha256: hashSecret(secret),
      scope,
      models,
      expires_at: input.expiresAt ?? null,
      description: input.description ?? null,
      created_at: now,
    } as never)
    .returning('*');
  return { secret, token: toInfo(row) };
}

/** Tokens that are not revoked, newest first (expired ones included, so an admin can see them). */
export async function listTokens(db: Queryable, offset: number, limit: number): Promise<TokenInfo[]> {
  const rows = await db<TokenRow>('tokens')
    .where({ revoked: false })
    .orderBy('id', 'desc')
    .offset(offset)
    .limit(limit);
  return rows.map(toInfo);
}

export async function revokeToken(db: Queryable, id: string): Promise<void> {
  if (!/^[1-9][0-9]{0,17}$/.test(id)) throw notFound(`Token with id=${id.slice(0, 40)} not found.`);
  const updated = await db('tokens').where({ id, revoked: false }).update({ revoked: true });
  if (updated === 0) throw notFound(`Token with id=${id} not found.`);
}

/**
 * The principal for a presented secret, or undefined when it is unknown, revoked or expired. The lookup is
 * by digest: comparing digests leaks nothing useful about the secret, so no constant-time compare is needed.
 */
export async function authenticateSecret(
  db: Queryable,
  secret: string,
  now = Date.now(),
): Promise<Principal | undefined> {
  const row: TokenRow | undefined = await db('tokens')
    .where({ secret_sha256: hashSecret(secret) })
    .first();
  if (!row || row.revoked || (row.expires_at !== null && row.expires_at <= now)) return undefined;
  if (row.last_used_at === null || row.last_used_at < now - LAST_USED_RESOLUTION_MS) {
    await db('tokens').where({ id: row.id }).update({ last_used_at: now });
  }
  return { tokenId: String(row.id), scope: row.scope, models: row.models };
}

/** Stores `secret` as an admin token unless it is stored already (ADMIN_TOKEN; a revoked one stays revoked). */
export async function ensureAdminSecret(
  db: Queryable,
  secret: string,
  description: string,
  now = Date.now(),
): Promise<boolean> {
  const inserted = await db('tokens')
    .insert({ secret_sha256: hashSecret(secret), scope: 'admin', models: [], description, created_at: now })
    .onConflict('secret_sha256')
    .ignore()
    .returning('id');
  return inserted.length > 0;
}

/** True when some admin token could still be used (not revoked, not expired). */
export async function hasUsableAdminToken(db: Queryable, now = Date.now()): Promise<boolean> {
  const row = await db('tokens')
    .where({ scope: 'admin', revoked: false })
    .andWhere((q) => q.whereNull('expires_at').orWhere('expires_at', '>', now))
    .first('id');
  return row !== undefined;
}
