import crypto from 'node:crypto';

/**
 * Token secrets: `srg_` + 32 random bytes in base64url. The prefix lets secret scanners (and people) spot a
 * leaked semreg token. Only the SHA-256 hex digest is stored; with 256 bits of randomness a fast hash cannot
 * be brute-forced, so no slow key-derivation function is needed on every request.
 */
const PREFIX = 'srg_';
const SECRET_BYTES = 32;

export function generateSecret(): string {
  return PREFIX + crypto.randomBytes(SECRET_BYTES).toString('base64url');
}

export function hashSecret(secret: string): string {
  return crypto.createHash('sha256').update(secret, 'utf8').digest('hex');
}
