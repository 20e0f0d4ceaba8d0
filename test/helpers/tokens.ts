import { createToken } from '../../src/auth/tokens';
import type { TestApp } from './test-app';

/** Mints a token straight in the database (what `npm run token -- create` does) and returns its secret. */
export async function mintToken(
  t: TestApp,
  scope: 'read' | 'write' | 'admin',
  options: { models?: string[]; expiresAt?: number; description?: string } = {},
): Promise<string> {
  const { secret } = await createToken(t.db, { scope, ...options });
  return secret;
}

/** One token of each scope, minted together — the usual cast of an AUTH=on test. */
export async function mintScopeTokens(t: TestApp): Promise<{ read: string; write: string; admin: string }> {
  const [read, write, admin] = await Promise.all([
    mintToken(t, 'read'),
    mintToken(t, 'write'),
    mintToken(t, 'admin'),
  ]);
  return { read, write, admin };
}

export const bearer = (secret: string): Record<string, string> => ({ Authorization: `Bearer ${secret}` });

export const basic = (secret: string, user = 'ci'): Record<string, string> => ({
  Authorization: `Basic ${Buffer.from(`${user}:${secret}`).toString('base64')}`,
});
