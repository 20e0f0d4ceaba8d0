import express, { NextFunction, Request, RequestHandler, Response } from 'express';
import { MlflowError } from '../../errors';
import { assertJsonDepth } from '../json-depth';
import type { ByteBudget } from './byte-budget';

/**
 * JSON bodies for the MLflow and semreg JSON endpoints. A body that is not declared as
 * `application/json` is refused instead of being skipped (express.json() would leave `req.body` undefined
 * and the handler would run on nothing): it is MLflow's CSRF defence (mlflow-compat.md §1.3, §7).
 *
 * A body is parsed in memory, up to 64 MB each (dataset profiles need tens of MB, §1.6). So that many
 * large bodies at once cannot exhaust the process, each request first reserves its declared size (an
 * unsized, chunked body: the whole 64 MB) from one budget shared by the app (`MAX_JSON_INFLIGHT_BYTES`),
 * held until its response is done. When the budget is spent the request gets 503 with `Retry-After`, its
 * body read and discarded (no memory), and the MLflow client retries it after a backoff.
 */
const MAX_JSON_BYTES = 64 * 1024 * 1024;

const parseJson = express.json({ limit: MAX_JSON_BYTES, strict: true, type: () => true });

function hasBody(req: Request): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

function isJsonContentType(value: string | undefined): boolean {
  if (!value) return false;
  const mediaType = value.split(';')[0].trim().toLowerCase();
  return mediaType === 'application/json';
}

/** The bytes a request's body will hold while parsed: its declared size, or the limit when unsized. */
function declaredBytes(req: Request): number {
  const declared = Number(req.headers['content-length']);
  return Number.isSafeInteger(declared) && declared >= 0
    ? Math.min(declared, MAX_JSON_BYTES)
    : MAX_JSON_BYTES;
}

export function jsonBody(budget: ByteBudget): RequestHandler {
  return (req, res, next) => {
    if (req.method === 'GET' || req.method === 'HEAD' || req.method === 'OPTIONS') return next();
    const contentType = req.headers['content-type'];
    if (!hasBody(req) && !contentType) {
      req.body = {};
      return next();
    }
    if (!isJsonContentType(contentType)) {
      return next(
        new MlflowError(
          'INVALID_PARAMETER_VALUE',
          "Bad request: the body of this endpoint must be sent with 'Content-Type: application/json'.",
        ),
      );
    }
    const release = budget.tryReserve(declaredBytes(req));
    if (!release) {
      // Read to the end without keeping a byte, so the client sees the answer instead of a broken pipe.
      req.resume();
      res.setHeader('Retry-After', '1');
      return next(
        new MlflowError(
          'TEMPORARILY_UNAVAILABLE',
          'The server is parsing too many large request bodies at once; retry shortly.',
        ),
      );
    }
    res.once('close', release);
    parse(req, res, next);
  };
}

function parse(req: Request, res: Response, next: NextFunction): void {
  parseJson(req, res, (err?: unknown) => {
    if (err) return next(err);
    if (req.body === undefined) req.body = {};
    if (typeof req.body !== 'object' || req.body === null || Array.isArray(req.body)) {
      return next(new MlflowError('BAD_REQUEST', 'The request body must be a JSON object.'));
    }
    try {
      assertJsonDepth(req.body);
    } catch (depthError) {
      return next(depthError);
    }
    next();
  });
}
