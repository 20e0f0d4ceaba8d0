import { MlflowError } from '../errors';

/**
 * Finds the token secret a request presents. Accepted forms, all carrying the same kind of secret:
 * - `Authorization: Bearer <token>` — MLFLOW_TRACKING_TOKEN, curl `-H "Authorization: Bearer …"`;
 * - `Authorization: Basic base64(user:token)` — MLFLOW_TRACKING_USERNAME/PASSWORD (any user name; the
 *   password is the token), curl `-u ci:$TOKEN`;
 * - `PRIVATE-TOKEN`, `JOB-TOKEN`, `Deploy-Token` — what GitLab's generic-package upload lines send.
 * Two different secrets in one request are refused rather than picking one silently.
 */
type Headers = Readonly<Record<string, string | string[] | undefined>>;

const MAX_SECRET_LENGTH = 512;
const TOKEN_HEADERS = ['private-token', 'job-token', 'deploy-token'] as const;

export function unauthenticated(message: string): MlflowError {
  return new MlflowError('UNAUTHENTICATED', message);
}

function every(value: string | string[] | undefined): string[] {
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}

function fromAuthorization(value: string): string {
  const match = /^([A-Za-z]+) +(\S.*)$/.exec(value.trim());
  if (!match)
    throw unauthenticated(
      'Malformed Authorization header: expected "Bearer <token>" or "Basic <credentials>".',
    );
  const [, scheme, credentials] = match;
  switch (scheme.toLowerCase()) {
    case 'bearer':
      return credentials.trim();
    case 'basic': {
      const decoded = Buffer.from(credentials.trim(), 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      // Basic credentials are user:password; semreg ignores the user and takes the password as the token.
      return colon >= 0 ? decoded.slice(colon + 1) : '';
    }
    default:
      throw unauthenticated(
        `Unsupported Authorization scheme '${scheme.slice(0, 20)}': use Bearer or Basic.`,
      );
  }
}

/**
 * The presented secret, undefined when the request carries none; throws UNAUTHENTICATED when malformed.
 * Give it `req.headersDistinct`: `req.headers` keeps only the first of several Authorization headers (a
 * proxy that adds its own would decide by header order which token counts).
 */
export function presentedSecret(headers: Headers): string | undefined {
  const found: string[] = [];
  for (const authorization of every(headers.authorization)) found.push(fromAuthorization(authorization));
  for (const name of TOKEN_HEADERS) for (const value of every(headers[name])) found.push(value.trim());
  if (found.length === 0) return undefined;
  const distinct = new Set(found);
  if (distinct.size > 1) throw unauthenticated('The request carries two different tokens; send one.');
  const [secret] = distinct;
  if (secret === '') throw unauthenticated('The request carries an empty token.');
  if (secret.length > MAX_SECRET_LENGTH) throw unauthenticated('The token is not valid.');
  return secret;
}
