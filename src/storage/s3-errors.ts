import { MlflowError, notFound, uploadInterrupted } from '../errors';

interface SdkError {
  name?: string;
  code?: string;
  $metadata?: { httpStatusCode?: number };
}

/** Refusals that mean semreg's own credentials or permissions are wrong: an operator must act. */
const CREDENTIAL_ERRORS = new Set([
  'AccessDenied',
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
  'ExpiredToken',
  'InvalidToken',
  'CredentialsProviderError',
]);

/** Failures of the connection rather than answers of the store: the store may be back in a moment. */
const NETWORK_ERRORS = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'TimeoutError',
  'RequestTimeout',
  'ERR_STREAM_PREMATURE_CLOSE',
]);

export type S3Failure =
  'aborted' | 'missing-object' | 'range' | 'missing-bucket' | 'credentials' | 'unreachable' | 'unknown';

/** What kind of failure an S3 SDK error is, and its short name for messages. */
export function classifyS3Error(err: unknown): { kind: S3Failure; name: string } {
  // Already translated (translateS3Error keeps the SDK's error as the cause).
  const raw = err instanceof MlflowError && err.cause !== undefined ? err.cause : err;
  const e = (raw ?? {}) as SdkError;
  const status = e.$metadata?.httpStatusCode;
  // A refused HEAD has no body to name the error: the SDK calls it `Unknown`, the status says more.
  const named = e.name && !['Error', 'Unknown'].includes(e.name) ? e.name : undefined;
  const name = named ?? e.code ?? (status ? `HTTP ${status}` : 'error');
  if (e.name === 'AbortError' || e.code === 'ABORT_ERR') return { kind: 'aborted', name };
  if (e.name === 'NoSuchKey' || e.name === 'NotFound') return { kind: 'missing-object', name };
  if (e.name === 'InvalidRange' || status === 416) return { kind: 'range', name };
  if (e.name === 'NoSuchBucket') return { kind: 'missing-bucket', name };
  if (CREDENTIAL_ERRORS.has(e.name ?? '') || status === 403 || status === 401)
    return { kind: 'credentials', name };
  const network = NETWORK_ERRORS.has(e.name ?? '') || NETWORK_ERRORS.has(e.code ?? '');
  if (network || (status !== undefined && status >= 500)) return { kind: 'unreachable', name };
  return { kind: 'unknown', name };
}

const unavailable = (message: string) => new MlflowError('TEMPORARILY_UNAVAILABLE', message);

/**
 * An S3 SDK failure as the MlflowError the client should see. The store being down or failing is not the
 * client's fault and may pass: 503 (answered with Retry-After). Credentials or permissions the store refuses
 * are 503 too, with a message for the operator; a missing object is 404. MlflowErrors raised by semreg
 * itself (413, a digest mismatch) pass through, and anything unknown stays a bug (500, logged).
 */
export function translateS3Error(err: unknown, key: string, bucket: string): unknown {
  if (err instanceof MlflowError) return err;
  const translated = translate(err, key, bucket);
  if (translated instanceof MlflowError) translated.cause = err;
  return translated;
}

function translate(err: unknown, key: string, bucket: string): unknown {
  const { kind, name } = classifyS3Error(err);
  switch (kind) {
    case 'aborted':
      return uploadInterrupted();
    case 'missing-object':
      return notFound(`No artifact at path '${key}'.`);
    case 'range':
      return new MlflowError('INVALID_PARAMETER_VALUE', 'The range is outside the file.', 416);
    case 'missing-bucket':
      return unavailable(
        `The artifact store's bucket '${bucket}' does not exist; an operator must create it or fix ARTIFACTS_DESTINATION.`,
      );
    case 'credentials':
      return unavailable(
        `The artifact store refused semreg's credentials (${name}); an operator must fix the AWS_* settings.`,
      );
    case 'unreachable':
      return unavailable(`The artifact store is unreachable or failing (${name}); try again shortly.`);
    default:
      return err;
  }
}
