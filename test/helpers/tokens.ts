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

export const bearer = (secret: string): Record<string, string> => ({ Authorization: `Bearer ${secret}` });

export const basic = (secret: string, user = 'ci'): Record<string, string> => ({
  Authorization: `Basic ${Buffer.from(`${user}:${secret}`).toString('base64')}`,
});
