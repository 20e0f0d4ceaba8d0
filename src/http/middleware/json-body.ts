import express, { NextFunction, Request, Response } from 'express';
import { MlflowError } from '../../errors';
import { assertJsonDepth } from '../json-depth';

/**
 * JSON bodies for the MLflow and semreg JSON endpoints. A body that is not declared as
 * `application/json` is refused instead of being skipped (express.json() would leave `req.body` undefined
 * and the handler would run on nothing): it is MLflow's CSRF defence (mlflow-compat.md §1.3, §7).
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

export function jsonBody(req: Request, res: Response, next: NextFunction): void {
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
