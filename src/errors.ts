import { pythonJson } from './python-json';

/**
 * The one error type of semreg. Throw it from anywhere; the error middleware turns it into
 * `{"error_code", "message"}` with the HTTP status MLflow's reference server uses for that code
 * (mlflow-compat.md §2.2).
 */
export type ErrorCode =
  | 'INVALID_PARAMETER_VALUE'
  | 'BAD_REQUEST'
  | 'RESOURCE_ALREADY_EXISTS'
  | 'UNAUTHENTICATED'
  | 'PERMISSION_DENIED'
  | 'RESOURCE_DOES_NOT_EXIST'
  | 'ENDPOINT_NOT_FOUND'
  | 'RESOURCE_CONFLICT'
  | 'ALREADY_EXISTS'
  | 'REQUEST_LIMIT_EXCEEDED'
  | 'RESOURCE_EXHAUSTED'
  | 'INTERNAL_ERROR'
  | 'INVALID_STATE'
  | 'NOT_IMPLEMENTED'
  | 'TEMPORARILY_UNAVAILABLE'
  | 'DEADLINE_EXCEEDED';

const STATUS: Record<ErrorCode, number> = {
  INVALID_PARAMETER_VALUE: 400,
  BAD_REQUEST: 400,
  RESOURCE_ALREADY_EXISTS: 400,
  UNAUTHENTICATED: 401,
  PERMISSION_DENIED: 403,
  RESOURCE_DOES_NOT_EXIST: 404,
  ENDPOINT_NOT_FOUND: 404,
  RESOURCE_CONFLICT: 409,
  ALREADY_EXISTS: 409,
  REQUEST_LIMIT_EXCEEDED: 429,
  RESOURCE_EXHAUSTED: 429,
  INTERNAL_ERROR: 500,
  INVALID_STATE: 500,
  NOT_IMPLEMENTED: 501,
  TEMPORARILY_UNAVAILABLE: 503,
  DEADLINE_EXCEEDED: 504,
};

export class MlflowError extends Error {
  readonly errorCode: ErrorCode;
  readonly status: number;

  /**
   * `status` overrides the table only where semreg's own API documents another status: 400 for
   * `INVALID_STATE` policy refusals (a 500 would be retried by the client for minutes), 413 for
   * oversized uploads, 507 for a full disk, 408 for a request body that stopped arriving.
   */
  constructor(errorCode: ErrorCode, message: string, status?: number) {
    super(message);
    this.name = 'MlflowError';
    this.errorCode = errorCode;
    this.status = status ?? STATUS[errorCode];
  }

  /**
   * More than the reference's message says, sent as an extra `details` field (the client ignores unknown
   * fields): used where the message itself must read exactly as the reference's (the path guard's
   * "Invalid path") and the rule that was broken would otherwise be lost.
   */
  details?: string;

  toJSON(): { error_code: ErrorCode; message: string; details?: string } {
    return {
      error_code: this.errorCode,
      message: this.message,
      ...(this.details !== undefined ? { details: this.details } : {}),
    };
  }
}

export const invalidParameter = (message: string): MlflowError =>
  new MlflowError('INVALID_PARAMETER_VALUE', message);

export const notFound = (message: string): MlflowError => new MlflowError('RESOURCE_DOES_NOT_EXIST', message);
/** The reference server's words for a model name that names nothing (the client matches on the code only). */
export const registeredModelNotFound = (name: string): MlflowError =>
  notFound(`Registered Model with name=${name} not found`);

export const alreadyExists = (message: string): MlflowError =>
  new MlflowError('RESOURCE_ALREADY_EXISTS', message);

/**
 * How the reference server ends every refusal of its request-schema checks (`_validate_param_against_schema`
 * in mlflow/server/handlers.py): missing fields, wrong types, out-of-range values.
 */
export const SEE_API_DOCS = ' See the API docs for more information about request parameters.';

/** A schema check's refusal, in the reference's form: its message followed by SEE_API_DOCS. */
export const schemaRefusal = (message: string): MlflowError => invalidParameter(`${message}${SEE_API_DOCS}`);

export const missingParameter = (name: string): MlflowError =>
  schemaRefusal(`Missing value for required parameter '${name}'.`);

/** The offending value is echoed as the reference does, but never more than this many characters of it. */
const MAX_SHOWN_VALUE = 200;

/**
 * MLflow's wording for a value of the wrong type or outside its range (`invalid_value` in
 * mlflow/utils/validation.py): "Invalid value 31 for parameter 'run_id' supplied: <detail>". The value is
 * shown as Python's json.dumps shows it (src/python-json.ts); `numberLiteral` is a number's text as sent.
 */
export function invalidValue(
  field: string,
  value: unknown,
  detail?: string,
  numberLiteral?: string,
): MlflowError {
  const text = pythonJson(value, numberLiteral);
  const shown = text.length > MAX_SHOWN_VALUE ? `${text.slice(0, MAX_SHOWN_VALUE)}…` : text;
  return invalidParameter(
    `Invalid value ${shown} for parameter '${field}' supplied${detail ? `: ${detail}` : '.'}`,
  );
}

/** A file past its byte limit, declared or counted while streaming: 413, and nothing is stored. */
export const fileTooLarge = (maxBytes: number): MlflowError =>
  new MlflowError('INVALID_PARAMETER_VALUE', `The file is larger than the limit of ${maxBytes} bytes.`, 413);

/** A body that stopped arriving (a disconnect, an abort) before it was complete; every store answers this. */
export const uploadInterrupted = (): MlflowError =>
  new MlflowError('BAD_REQUEST', 'The upload was interrupted before it was complete; nothing was stored.');

/** How every digest-mismatch message starts (the metrics count these uploads apart). */
export const DIGEST_MISMATCH_PREFIX = 'Checksum mismatch:';

/** A body whose digest differs from the one its request announced; the caller stores nothing. */
export const digestMismatch = (algorithm: string, actual: string, expected: string): MlflowError =>
  invalidParameter(
    `${DIGEST_MISMATCH_PREFIX} the body's ${algorithm} is ${actual}, the request said ${expected}; nothing was stored.`,
  );
