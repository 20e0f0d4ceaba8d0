import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { AppContext } from '../app-context';
import { invalidParameter } from '../errors';

/**
 * Handlers for routes that stream bodies or responses themselves (artifact proxy, UI downloads) and so sit
 * outside the JSON endpoint table.
 *
 * An error answered before the whole body arrived (413, 507, a bad path) must still reach a client that is
 * busy sending: closing at once makes its next write fail with EPIPE, and MLflow's client then retries a
 * connection error for minutes and never shows our message. A body of known, modest size is therefore read
 * to its end and discarded; a larger or unsized one gets `Connection: close` rather than being read for GiBs.
 */
export type RawHandler = (req: Request, res: Response, app: AppContext) => Promise<void>;

const MAX_DRAIN_BYTES = 64 * 1024 * 1024;

function drainOrClose(req: Request, res: Response): void {
  if (req.complete || res.headersSent) return;
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared <= MAX_DRAIN_BYTES) {
    req.unpipe();
    req.resume();
  } else {
    res.setHeader('Connection', 'close');
  }
}

export function rawRoute(app: AppContext, handler: RawHandler): RequestHandler {
  return async (req: Request, res: Response, next: NextFunction) => {
    try {
      await handler(req, res, app);
    } catch (err) {
      drainOrClose(req, res);
      next(err);
    }
  };
}

/** One query value as a string; a repeated key is refused rather than silently picking one. */
export function queryString(req: Request, name: string): string | undefined {
  const value = (req.query as Record<string, unknown>)[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw invalidParameter(`Parameter '${name}' must be given once.`);
  return value;
}

/** Express 5 hands a `*path` wildcard over as separately decoded segments: join them before any validation. */
export function wildcardPath(req: Request, name = 'path'): string {
  const segments = (req.params as Record<string, string | string[] | undefined>)[name];
  return Array.isArray(segments) ? segments.join('/') : (segments ?? '');
}
