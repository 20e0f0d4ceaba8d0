import { MlflowError } from '../errors';

/**
 * Translates PostgreSQL and connection failures into MLflow errors in one place. Services insert and catch
 * the violation rather than check-then-insert (which races); they pass a message for the unique case
 * because only they know which entity collided.
 */
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  '57P01',
  '57P02',
  '57P03',
  '53300',
]);

export function isUniqueViolation(err: unknown, constraint?: string): boolean {
  const e = err as { code?: string; constraint?: string };
  return e?.code === '23505' && (constraint === undefined || e.constraint === constraint);
}

export function isDatabaseUnavailable(err: unknown): boolean {
  const e = err as { code?: string; name?: string; message?: string };
  if (!e) return false;
  if (e.code && (UNAVAILABLE_CODES.has(e.code) || e.code.startsWith('08'))) return true;
  if (e.name === 'KnexTimeoutError') return true;
  return /Connection terminated|connect ECONNREFUSED|Client has encountered a connection error/.test(
    e.message ?? '',
  );
}

/** Returns an MlflowError for database errors that are the client's fault or transient, else undefined. */
export function translateDatabaseError(err: unknown): MlflowError | undefined {
  if (err instanceof MlflowError) return err;
  if (isDatabaseUnavailable(err)) {
    return new MlflowError('TEMPORARILY_UNAVAILABLE', 'The database is unavailable; retry the request.');
  }
  const e = err as { code?: string; constraint?: string; detail?: string };
  switch (e?.code) {
    case '40P01':
    case '40001':
      // Deadlock / serialization failure between concurrent writers: transient, so the client's retry (503 is
      // retried, mlflow-compat.md §2.4) succeeds; a 500 would hide the message and look like a bug to the user.
      return new MlflowError(
        'TEMPORARILY_UNAVAILABLE',
        'A concurrent change to the same entity conflicted; retry the request.',
      );
    case '23505':
      return new MlflowError(
        'RESOURCE_ALREADY_EXISTS',
        `Already exists (${e.constraint ?? 'unique constraint'}).`,
      );
    case '23503':
      return new MlflowError(
        'RESOURCE_DOES_NOT_EXIST',
        `Referenced entity does not exist (${e.constraint ?? 'foreign key'}).`,
      );
    case '22001':
      return new MlflowError('INVALID_PARAMETER_VALUE', 'A value is longer than its limit.');
    case '23514':
      return new MlflowError(
        'INVALID_PARAMETER_VALUE',
        `A value breaks the rule ${e.constraint ?? '(check constraint)'}.`,
      );
    case '22P02':
    case '22003':
    case '22021':
      return new MlflowError('INVALID_PARAMETER_VALUE', 'A value has the wrong form for its field.');
    default:
      return undefined;
  }
}
