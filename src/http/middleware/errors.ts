import crypto from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { DIGEST_MISMATCH_PREFIX, MlflowError } from '../../errors';
import { translateDatabaseError } from '../../db/pg-errors';
import type { Logger } from '../../log';

/** Unknown route (or known path with an unsupported method): JSON 404 so the client's fallbacks fire (§1.5). */
export function endpointNotFound(req: Request, _res: Response, next: NextFunction): void {
  next(new MlflowError('ENDPOINT_NOT_FOUND', `No endpoint ${req.method} ${req.path.slice(0, 200)} exists.`));
}

interface BodyParserError {
  type?: string;
  status?: number;
  expose?: boolean;
}

function fromBodyParser(err: BodyParserError): MlflowError | undefined {
  switch (err.type) {
    case 'entity.too.large':
      return new MlflowError(
        'INVALID_PARAMETER_VALUE',
        'The request body is larger than the server accepts.',
        413,
      );
    case 'entity.parse.failed':
      return new MlflowError('BAD_REQUEST', 'The request body is not valid JSON.');
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new MlflowError('BAD_REQUEST', 'The request body has an unsupported encoding.');
    case 'request.aborted':
      return new MlflowError('BAD_REQUEST', 'The request was aborted by the client.');
    default:
      // Any other 4xx that Express or a parser raises is a client mistake, never a 500.
      return err.status && err.status >= 400 && err.status < 500
        ? new MlflowError('BAD_REQUEST', 'The request could not be read.')
        : undefined;
  }
}

/**
 * Express decodes route parameters with decodeURIComponent and throws a URIError for malformed or overlong
 * UTF-8 (`%c0%af`, `%2%0952e`). That is the client's mistake: 400, not the 500 it would otherwise become.
 */
function undecodablePath(err: unknown): MlflowError | undefined {
  return err instanceof URIError
    ? new MlflowError('INVALID_PARAMETER_VALUE', 'The request path is not valid percent-encoded UTF-8.')
    : undefined;
}

/**
 * An error answered before the whole body arrived (401, 403, 413, 507, a bad path) must still reach a client
 * that is busy sending: closing at once makes its next write fail with EPIPE, and MLflow's client then
 * retries a connection error for minutes and never shows our message. A body of known, modest size is
 * therefore read to its end and discarded; a larger or unsized one gets `Connection: close` rather than
 * being read for GiBs.
 */
const MAX_DRAIN_BYTES = 64 * 1024 * 1024;

function drainOrClose(req: Request, res: Response): void {
  if (req.complete || res.headersSent) return;
  req.unpipe();
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared <= MAX_DRAIN_BYTES) req.resume();
  else res.setHeader('Connection', 'close');
}

/**
 * Every error becomes `{"error_code", "message"}`. Unexpected errors are logged with their stack and a
 * request id, and the client sees only INTERNAL_ERROR with that id.
 */
export function errorHandler(log: Logger) {
  return (err: unknown, req: Request, res: Response, _next: NextFunction): void => {
    const known =
      err instanceof MlflowError
        ? err
        : (undecodablePath(err) ?? fromBodyParser(err as BodyParserError) ?? translateDatabaseError(err));
    const error =
      known ??
      (() => {
        const requestId = crypto.randomUUID();
        log.error({ err, requestId, method: req.method, path: req.path }, 'unhandled error');
        return new MlflowError('INTERNAL_ERROR', `Internal error (request id ${requestId}).`);
      })();
    if (known?.status === 503) log.warn({ path: req.path }, error.message);
    if (res.headersSent) {
      // A streamed response already started: the only honest signal left is to cut the connection.
      res.destroy();
      return;
    }
    drainOrClose(req, res);
    // For the upload-failure metric: a 400 that is a checksum mismatch says more than `invalid_request`.
    if (error.message.startsWith(DIGEST_MISMATCH_PREFIX)) res.locals.digestMismatch = true;
    if (error.errorCode === 'UNAUTHENTICATED') res.setHeader('WWW-Authenticate', 'Basic realm="semreg"');
    // A dependency (the database, the object store) is down: say when to try again; the client retries 503.
    if (error.status === 503 && !res.hasHeader('Retry-After')) res.setHeader('Retry-After', '5');
    res.status(error.status).type('application/json').send(JSON.stringify(error.toJSON()));
  };
}
